import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadModel } from '../../../src/onnx/model.js';
import { int64Tensor } from '../../../src/runtime/tensors.js';
import { resolveInputShapes, sampleFeeds } from '../../../src/runtime/shapeInference.js';
import { pruneStructured } from '../../../src/prune/structured/index.js';
import { buildLeNet5 } from '../../../src/models/lenet.js';
import { loadFixture } from '../../helpers/fixtures.js';
import { countMacs, runFirstOutput } from './helpers.js';

test('channels to a MAC target: LeNet-5 at half its MACs, by l1, l2 and Taylor importance', async () => {
  const model = buildLeNet5({ seed: 1 });
  const feeds = sampleFeeds(model, resolveInputShapes(model, {}, 8), 0);
  const labels = int64Tensor([0, 1, 2, 3, 4, 5, 6, 7], [8]);
  for (const importance of ['l1', 'l2', 'taylor'] as const) {
    const result = await pruneStructured(model, {
      structure: 'channels', targetMacs: 0.5, importance, countMacs,
      calibration: importance === 'taylor' ? { batches: [{ ...feeds, labels }] } : undefined,
    });
    assert.ok(result.macsAfter <= 0.5 * result.macsBefore, `${importance}: ${result.macsAfter} of ${result.macsBefore}`);
    assert.ok(result.macsAfter > 0.4 * result.macsBefore, `${importance}: bisection stops close to the target`);
    assert.deepEqual((await runFirstOutput(result.model, feeds)).dims, [8, 10]);
    assert.ok(result.groups.find((g) => g.source === 'conv2')!.kept < 50);
  }
});

test('blocks: removing residual branches of tiny_resnet and gpt_tiny leaves models ORT runs', async () => {
  for (const name of ['tiny_resnet', 'gpt_tiny']) {
    const model = loadModel(loadFixture(name).modelPath);
    const result = await pruneStructured(model, { structure: 'blocks', targetMacs: 0.7, importance: 'l2', countMacs });
    assert.ok(result.removedBranches.length >= 1, name);
    assert.ok(result.macsAfter <= 0.7 * result.macsBefore, name);
    const feeds = sampleFeeds(result.model, resolveInputShapes(result.model, {}, 2), 0, 10);
    const removed = new Set(result.removedBranches.map((b) => b.add));
    assert.ok(!result.model.graph!.node.some((n) => removed.has(n.name)), name);
    await runFirstOutput(result.model, feeds);
  }
});
