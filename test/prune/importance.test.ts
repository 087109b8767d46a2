import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeDataset } from '../../src/data/dataset.js';
import { collectActivationNorms } from '../../src/prune/activationNorms.js';
import { scoreLayers, standardDeviation, type ImportanceSpec } from '../../src/prune/importance/index.js';
import { findPrunableLayers, readLayerWeights } from '../../src/prune/layers.js';
import { selectMasks, type MaskSelection } from '../../src/prune/masks.js';
import { prune } from '../../src/prune/prune.js';
import { gemmChain, maskArray } from './helpers.js';

// W1 [2 out, 3 in] and W2 [2, 2], PyTorch layout (Gemm transB = 1).
const model = gemmChain([
  { name: 'w1', out: 2, in: 3, weights: [0.1, -0.5, 0.3, 0.9, -0.05, 0.2] },
  { name: 'w2', out: 2, in: 2, weights: [1.0, -2.0, 0.4, 3.0] },
]);

function masksFor(spec: ImportanceSpec, selection: MaskSelection, m = model) {
  const layers = findPrunableLayers(m);
  return selectMasks(layers, scoreLayers(layers, readLayerWeights(m, layers), spec), selection).masks;
}

test('prunable weights: Gemm weights only, not biases', () => {
  const layers = findPrunableLayers(model);
  assert.deepEqual(layers.map((l) => [l.name, l.rows, l.cols]), [['w1', 2, 3], ['w2', 2, 2]]);
});

test('magnitude per layer prunes the lowest |w| of each layer; global uses one threshold', () => {
  const perLayer = masksFor({ method: 'magnitude' }, { pattern: 'unstructured', sparsity: 0.5, scope: 'layer' });
  // w1: 0.05, 0.1, 0.2 pruned; w2: 0.4, 1.0 pruned.
  assert.deepEqual(maskArray(perLayer.get('w1')), [0, 1, 1, 1, 0, 0]);
  assert.deepEqual(maskArray(perLayer.get('w2')), [0, 1, 0, 1]);
  const global = masksFor({ method: 'magnitude' }, { pattern: 'unstructured', sparsity: 0.5, scope: 'global' });
  // The 5 lowest of all 10: 0.05, 0.1, 0.2, 0.3, 0.4.
  assert.deepEqual(maskArray(global.get('w1')), [0, 1, 0, 1, 0, 0]);
  assert.deepEqual(maskArray(global.get('w2')), [1, 1, 0, 1]);
});

test("Han et al.: pruned below quality x the layer's standard deviation", () => {
  const w1 = readLayerWeights(model, findPrunableLayers(model)).get('w1')!;
  assert.ok(Math.abs(standardDeviation(w1) - 0.41874) < 1e-4, `σ(w1) = ${standardDeviation(w1)}`);
  // Quality 0.5: thresholds 0.2094 (w1) and 0.8916 (w2, σ = 1.78326).
  const masks = masksFor({ method: 'han' }, { pattern: 'unstructured', threshold: 0.5 });
  assert.deepEqual(maskArray(masks.get('w1')), [0, 1, 1, 1, 0, 0]);
  assert.deepEqual(maskArray(masks.get('w2')), [1, 1, 0, 1]);
});

test('Wanda: |W| x ||X_j|| compared within each output row, where magnitude disagrees', () => {
  const wide = gemmChain([{ name: 'w', out: 2, in: 4, weights: [1, 0.5, -0.2, 2, 0.25, -3, 1, 0.1] }]);
  const norms = new Map([['w', Float32Array.of(10, 1, 2, 0.1)]]);
  const row = { pattern: 'unstructured', sparsity: 0.5, scope: 'row' } as const;
  // Scores row 0: 10, 0.5, 0.4, 0.2; row 1: 2.5, 3, 2, 0.01.
  const wanda = masksFor({ method: 'wanda', activationNorms: norms }, row, wide);
  assert.deepEqual(maskArray(wanda.get('w')), [1, 1, 0, 0, 1, 1, 0, 0]);
  const magnitude = masksFor({ method: 'magnitude' }, row, wide);
  assert.deepEqual(maskArray(magnitude.get('w')), [1, 0, 0, 1, 0, 1, 1, 0]);
});

test('Wanda calibration: ORT-reduced input norms equal sqrt(sum x^2) per feature', async () => {
  const inputs = Float32Array.from({ length: 5 * 3 }, (_, i) => ((i * 7) % 11) / 5 - 1);
  const data = makeDataset({ name: 'toy', inputs, inputDims: [3], labels: new Uint8Array(5), numClasses: 2 });
  const layers = findPrunableLayers(model);
  const norms = await collectActivationNorms(model, layers, data, { batchSize: 2 });
  const expected = [0, 1, 2].map((j) => Math.sqrt([0, 1, 2, 3, 4].reduce((s, n) => s + inputs[n * 3 + j]! ** 2, 0)));
  norms.get('w1')!.forEach((v, j) => assert.ok(Math.abs(v - expected[j]!) < 1e-5, `feature ${j}: ${v} vs ${expected[j]}`));
  assert.equal(norms.get('w2')!.length, 2);
});

test('random importance: seeded, exact sparsity, and another seed gives other masks', () => {
  const big = gemmChain([{ name: 'w', out: 8, in: 16, weights: Array.from({ length: 128 }, (_, i) => i / 128) }]);
  const sel = { pattern: 'unstructured', sparsity: 0.25, scope: 'layer' } as const;
  const a = maskArray(masksFor({ method: 'random', seed: 1 }, sel, big).get('w'));
  const b = maskArray(masksFor({ method: 'random', seed: 1 }, sel, big).get('w'));
  const c = maskArray(masksFor({ method: 'random', seed: 2 }, sel, big).get('w'));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.equal(a.filter((v) => v === 0).length, 32);
});

test('earlier prunes stay pruned and count toward the next target', () => {
  const first = prune(model, { importance: { method: 'random', seed: 3 }, selection: { pattern: 'unstructured', sparsity: 0.25, scope: 'global' } });
  const second = prune(first.model, { importance: { method: 'random', seed: 4 }, selection: { pattern: 'unstructured', sparsity: 0.6, scope: 'global' }, previous: first.masks });
  for (const [name, mask] of first.masks) mask.forEach((v, i) => { if (v === 0) assert.equal(second.masks.get(name)![i], 0); });
  const zeros = [...second.masks.values()].reduce((n, m) => n + m.filter((v) => v === 0).length, 0);
  assert.equal(zeros, 6);
});
