import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadModel } from '../../src/onnx/model.js';
import { resolveInputShapes, sampleFeeds } from '../../src/runtime/shapeInference.js';
import { factorizeModel } from '../../src/lowrank/index.js';
import { fixtureNames, loadFixture } from '../helpers/fixtures.js';
import { maxAbsDiff, runFirstOutput } from '../prune/structured/helpers.js';

test('full-rank factorization of every fixture reproduces its outputs; energy 0.9 shrinks and still runs', async () => {
  for (const name of fixtureNames) {
    const model = loadModel(loadFixture(name).modelPath);
    const feeds = sampleFeeds(model, resolveInputShapes(model, {}, 2), 0, 10);
    const before = await runFirstOutput(model, feeds);
    const full = factorizeModel(model, { policy: { method: 'energy', energy: 1 }, onlyIfSmaller: false });
    assert.ok(full.layers.length > 0 && full.layers.every((l) => l.factorized && l.rank === l.fullRank), name);
    const ops = full.model.graph!.node.filter((n) => ['Conv', 'Gemm', 'MatMul'].includes(n.opType)).length;
    assert.ok(ops >= 2 * full.layers.length, `${name}: each layer became two`);
    const after = await runFirstOutput(full.model, feeds);
    const scale = Math.max(...before.data.map(Math.abs));
    assert.ok(maxAbsDiff(before.data, after.data) < 1e-4 * Math.max(1, scale), `${name}: ${maxAbsDiff(before.data, after.data)}`);
    const small = factorizeModel(model, { policy: { method: 'energy', energy: 0.9 } });
    for (const l of small.layers) {
      assert.ok(l.energy >= 0.9 - 1e-9 && l.spectrum.length === l.fullRank, `${name} ${l.node}`);
      assert.equal(l.factorized, l.paramsAfter < l.paramsBefore);
    }
    assert.deepEqual((await runFirstOutput(small.model, feeds)).dims, before.dims, name);
  }
});
