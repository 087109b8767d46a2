import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scoreLayers } from '../../src/prune/importance/index.js';
import { findPrunableLayers, readLayerWeights } from '../../src/prune/layers.js';
import { selectMasks } from '../../src/prune/masks.js';
import { Rng } from '../../src/util/random.js';
import { convModel, gemmChain } from './helpers.js';

const rng = new Rng(11);
const randomWeights = (n: number) => Array.from({ length: n }, () => rng.normal());

test('2:4 on a Gemm weight: in every 4 consecutive inputs of a row, the 2 largest |w| are kept', () => {
  const weights = randomWeights(6 * 16);
  const model = gemmChain([{ name: 'w', out: 6, in: 16, weights }, { name: 'w2', out: 3, in: 6, weights: randomWeights(18) }]);
  const layers = findPrunableLayers(model);
  const { masks, skipped } = selectMasks(layers, scoreLayers(layers, readLayerWeights(model, layers), { method: 'magnitude' }), { pattern: 'n:m', n: 2, m: 4 });
  assert.deepEqual(skipped.map((s) => s.layer), ['w2']); // 6 inputs: not a multiple of 4, left dense
  assert.ok(masks.get('w2')!.every((v) => v === 1));
  const mask = masks.get('w')!;
  for (let g = 0; g < weights.length; g += 4) {
    const group = [0, 1, 2, 3].map((k) => ({ kept: mask[g + k], size: Math.abs(weights[g + k]!) }));
    assert.equal(group.filter((x) => x.kept === 1).length, 2, `group at ${g}`);
    const minKept = Math.min(...group.filter((x) => x.kept === 1).map((x) => x.size));
    const maxPruned = Math.max(...group.filter((x) => x.kept === 0).map((x) => x.size));
    assert.ok(minKept >= maxPruned, `group at ${g}`);
  }
});

test('2:4 on a Conv kernel runs along the input channels at each kernel position', () => {
  // W [2, 4, 1, 2]: groups are the 4 channels at kernel position (0, kw), for each filter.
  const weights = Float32Array.from(randomWeights(2 * 4 * 2));
  const model = convModel([2, 4, 1, 2], weights);
  const layers = findPrunableLayers(model);
  assert.equal(layers[0]!.cols, 8);
  const { masks } = selectMasks(layers, scoreLayers(layers, readLayerWeights(model, layers), { method: 'magnitude' }), { pattern: 'n:m', n: 2, m: 4 });
  const mask = masks.get('conv.weight')!;
  for (let f = 0; f < 2; f++) {
    for (let kw = 0; kw < 2; kw++) {
      const flat = [0, 1, 2, 3].map((c) => f * 8 + c * 2 + kw);
      assert.equal(flat.filter((i) => mask[i] === 1).length, 2, `filter ${f}, kw ${kw}`);
      const kept = flat.filter((i) => mask[i] === 1).map((i) => Math.abs(weights[i]!));
      const pruned = flat.filter((i) => mask[i] === 0).map((i) => Math.abs(weights[i]!));
      assert.ok(Math.min(...kept) >= Math.max(...pruned));
    }
  }
});
