/**
 * Sequential calibration for Wanda: layers grouped by depth, each group's input norms measured on
 * the model with the groups before it already pruned, so a deeper layer's scores see pruned inputs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeDataset } from '../../src/data/dataset.js';
import { tokenSequence } from '../../src/data/text/corpus.js';
import { buildGpt } from '../../src/models/gpt.js';
import { collectActivationNorms } from '../../src/prune/activationNorms.js';
import { applyMasks } from '../../src/prune/applyMasks.js';
import { scoreLayers } from '../../src/prune/importance/index.js';
import { findPrunableLayers, readLayerWeights } from '../../src/prune/layers.js';
import { selectMasks } from '../../src/prune/masks.js';
import { pruningPlanProblems, runPruning } from '../../src/prune/plan.js';
import { layerDepths, sequentialWandaPrune } from '../../src/prune/sequential.js';
import { RetortError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';
import { gemmChain, maskArray } from './helpers.js';

const rng = new Rng(5);
const weights = (n: number) => Array.from({ length: n }, () => rng.normal());
// 6 -> 8 -> 8 -> 3, ReLU between: three depths.
const mlp = gemmChain([
  { name: 'fc1', out: 8, in: 6, weights: weights(48) },
  { name: 'fc2', out: 8, in: 8, weights: weights(64) },
  { name: 'fc3', out: 3, in: 8, weights: weights(24) },
]);
const data = makeDataset({ name: 'toy', inputs: Float32Array.from({ length: 20 * 6 }, () => rng.normal()), inputDims: [6], labels: new Uint8Array(20), numClasses: 3 });
const row = { pattern: 'unstructured', sparsity: 0.5, scope: 'row' } as const;

test('layer depths: an MLP is one group per layer, in data order', () => {
  const groups = layerDepths(mlp, findPrunableLayers(mlp));
  assert.deepEqual(groups.map((g) => g.map((l) => l.name)), [['fc1'], ['fc2'], ['fc3']]);
});

test('layer depths: a GPT block is q/k/v, then the attention output, then each MLP matrix', () => {
  const gpt = buildGpt({ layers: 2, dim: 16, heads: 2, context: 8, vocabSize: 30, seed: 3 });
  const layers = findPrunableLayers(gpt);
  const groups = layerDepths(gpt, layers);
  assert.equal(groups.flat().length, layers.length, 'every layer in one group');
  // Two blocks of four depths, then the head.
  assert.equal(groups.length, 9, groups.map((g) => g.map((l) => l.name).join(',')).join(' | '));
  const short = (name: string) => name.replace(/^blocks\.(\d)\.(attn|mlp)\./, '$1.').replace('.weight', '');
  // q, k and v read the same normalized input; the head comes last.
  assert.deepEqual(groups.map((g) => g.map((l) => short(l.name)).join(',')), ['0.q,0.k,0.v', '0.out', '0.fc1', '0.fc2', '1.q,1.k,1.v', '1.out', '1.fc1', '1.fc2', 'head']);
});

test('sequential Wanda = pruning layer by layer by hand, with norms measured after the layers before are pruned', async () => {
  const layers = findPrunableLayers(mlp);
  let current = mlp;
  const expected = new Map<string, Float32Array>();
  for (const layer of layers) {
    const norms = await collectActivationNorms(current, [layer], data);
    const masks = selectMasks([layer], scoreLayers([layer], readLayerWeights(current, [layer]), { method: 'wanda', activationNorms: norms }), row).masks;
    current = applyMasks(current, masks);
    expected.set(layer.name, masks.get(layer.name)!);
  }
  const result = await sequentialWandaPrune(mlp, data, row);
  for (const layer of layers) assert.deepEqual(maskArray(result.masks.get(layer.name)), maskArray(expected.get(layer.name)), layer.name);
  // The first layer sees the same inputs either way; a deeper one's norms change once fc1 is pruned.
  const dense = await collectActivationNorms(mlp, layers, data);
  const afterFc1 = await collectActivationNorms(applyMasks(mlp, new Map([['fc1', expected.get('fc1')!]])), layers, data);
  assert.notDeepEqual(Array.from(dense.get('fc2')!), Array.from(afterFc1.get('fc2')!));
  // Row scope: exactly half of every row of every layer.
  for (const layer of layers) {
    const mask = result.masks.get(layer.name)!;
    for (let r = 0; r < layer.rows; r++) assert.equal(mask.subarray(r * layer.cols, (r + 1) * layer.cols).reduce((a, b) => a + b, 0), layer.cols / 2);
  }
});

test('runPruning: wanda oneshot is sequential unless one-pass is asked for; one-pass equals scoring the dense model', async () => {
  const plan = { importance: 'wanda', scope: 'row', target: { sparsity: 0.5 }, pattern: { kind: 'unstructured' }, schedule: { kind: 'oneshot' }, seed: 0, calibrationSet: data } as const;
  const byDefault = await runPruning(mlp, plan);
  const sequential = await sequentialWandaPrune(mlp, data, row);
  const onePass = await runPruning(mlp, { ...plan, calibration: 'one-pass' });
  const layers = findPrunableLayers(mlp);
  const norms = await collectActivationNorms(mlp, layers, data);
  const dense = selectMasks(layers, scoreLayers(layers, readLayerWeights(mlp, layers), { method: 'wanda', activationNorms: norms }), row).masks;
  for (const l of layers) {
    assert.deepEqual(maskArray(byDefault.masks.get(l.name)), maskArray(sequential.masks.get(l.name)), `default = sequential at ${l.name}`);
    assert.deepEqual(maskArray(onePass.masks.get(l.name)), maskArray(dense.get(l.name)), `one-pass = dense norms at ${l.name}`);
  }
  assert.notDeepEqual(maskArray(onePass.masks.get('fc3')), maskArray(sequential.masks.get('fc3')), 'this fixture tells the two apart');
});

test('sequential calibration: per-layer sparsities apply to their own group; a global threshold is refused', async () => {
  const result = await sequentialWandaPrune(mlp, data, { pattern: 'unstructured', sparsity: 0.25, scope: 'layer', perLayer: { fc2: 0.75 } });
  const zeros = (name: string) => result.masks.get(name)!.filter((v) => v === 0).length;
  assert.deepEqual([zeros('fc1'), zeros('fc2'), zeros('fc3')], [12, 48, 6]);
  await assert.rejects(sequentialWandaPrune(mlp, data, { pattern: 'unstructured', sparsity: 0.25, scope: 'layer', perLayer: { nope: 0.5 } }), /"nope": no such prunable layer/);
  await assert.rejects(sequentialWandaPrune(mlp, data, { pattern: 'unstructured', sparsity: 0.5, scope: 'global' }), (e: unknown) => e instanceof RetortError && /global threshold/.test(e.message));
  const problems = (calibration: 'sequential' | 'one-pass', extra: object = {}) =>
    pruningPlanProblems({ importance: 'wanda', target: { sparsity: 0.5 }, pattern: { kind: 'unstructured' }, schedule: { kind: 'oneshot' }, scope: 'row', trains: false, hasCalibrationSet: true, calibration, ...extra }).map((p) => p.field);
  assert.deepEqual(problems('sequential'), []);
  assert.deepEqual(problems('sequential', { scope: 'global' }), ['calibration']);
  assert.deepEqual(problems('sequential', { schedule: { kind: 'iterative', rounds: 2 }, trains: true }), ['calibration']);
  assert.deepEqual(problems('one-pass', { importance: 'magnitude' }), ['calibration']);
});

test('sequential Wanda on token windows: a GPT pruned group by group keeps half of every row', async () => {
  const gpt = buildGpt({ layers: 1, dim: 16, heads: 2, context: 8, vocabSize: 30, seed: 4 });
  const text = tokenSequence('calibration', Int32Array.from({ length: 33 }, () => rng.int(30)), 30);
  const result = await sequentialWandaPrune(gpt, { kind: 'tokens', sequence: text, context: 8 }, row);
  for (const layer of findPrunableLayers(gpt)) {
    const mask = result.masks.get(layer.name)!;
    assert.equal(mask.filter((v) => v === 0).length, mask.length / 2, layer.name);
  }
});
