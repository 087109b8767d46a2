/**
 * Wanda on a language model: calibration windows of token ids (int64 [batch, seq]) reach MatMul
 * weights as activations [batch, seq, K]; ||X_j|| runs over every token of every window.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenSequence } from '../../src/data/text/corpus.js';
import { buildGpt } from '../../src/models/gpt.js';
import { encodeModel } from '../../src/onnx/model.js';
import { newValueInfo } from '../../src/onnx/proto.js';
import { collectActivationNorms } from '../../src/prune/activationNorms.js';
import { findPrunableLayers } from '../../src/prune/layers.js';
import { prune } from '../../src/prune/prune.js';
import { Session } from '../../src/runtime/session.js';
import { int64Tensor } from '../../src/runtime/tensors.js';
import { Rng } from '../../src/util/random.js';
import { cloneForEditing } from '../../src/autodiff/gradientModel.js';

const CONTEXT = 8;
const model = buildGpt({ layers: 2, dim: 16, heads: 2, context: CONTEXT, vocabSize: 30, seed: 3 });
const rng = new Rng(9);
// 5 whole windows of 8 tokens (41 tokens: each window needs one more for its last label).
const text = tokenSequence('calibration', Int32Array.from({ length: 41 }, () => rng.int(30)), 30);

test('activation norms from token windows equal ||X_j|| over all batch and sequence positions, by hand', async () => {
  const layers = findPrunableLayers(model);
  // Every block's attention and MLP projections and the head: all MatMul weights [K, N] on [batch, seq, K].
  assert.ok(layers.length >= 9, `${layers.length} prunable layers`);
  assert.ok(layers.every((l) => l.opType === 'MatMul'));
  const norms = await collectActivationNorms(model, layers, { kind: 'tokens', sequence: text, context: CONTEXT }, { batchSize: 2 });
  // By hand: the activations themselves as outputs, on all 5 windows in one call.
  const copy = cloneForEditing(model);
  const activations = [...new Set(layers.map((l) => l.activation))];
  for (const a of activations) copy.graph!.output.push(newValueInfo({ name: a }));
  const session = await Session.create(encodeModel(copy), { name: 'activations', threads: 1 });
  const ids = new BigInt64Array(5 * CONTEXT);
  for (let w = 0; w < 5; w++) for (let t = 0; t < CONTEXT; t++) ids[w * CONTEXT + t] = BigInt(text.tokens[w * CONTEXT + t]!);
  const out = await session.run({ input_ids: int64Tensor(ids, [5, CONTEXT]) });
  await session.dispose();
  for (const layer of layers) {
    const x = out[layer.activation]!;
    assert.equal(x.dims.length, 3, `${layer.activation} is [batch, seq, K]`);
    const k = Number(x.dims[2]);
    const data = x.data as Float32Array;
    const expected = Array.from({ length: k }, (_, j) => {
      let sum = 0;
      for (let p = 0; p < data.length / k; p++) sum += data[p * k + j]! ** 2;
      return Math.sqrt(sum);
    });
    const got = norms.get(layer.name)!;
    assert.equal(got.length, k);
    expected.forEach((e, j) => assert.ok(Math.abs(got[j]! - e) <= 1e-4 * Math.max(1, e), `${layer.name} feature ${j}: ${got[j]} vs ${e}`));
  }
  // `windows` limits the calibration to the first windows.
  const two = await collectActivationNorms(model, layers.slice(0, 1), { kind: 'tokens', sequence: text, context: CONTEXT, windows: 2 });
  assert.ok(two.get(layers[0]!.name)!.every((v, j) => v < norms.get(layers[0]!.name)![j]! + 1e-6));
});

test('Wanda at 50% on a GPT: every output row keeps half its weights', async () => {
  const layers = findPrunableLayers(model);
  const activationNorms = await collectActivationNorms(model, layers, { kind: 'tokens', sequence: text, context: CONTEXT });
  const result = prune(model, { importance: { method: 'wanda', activationNorms }, selection: { pattern: 'unstructured', sparsity: 0.5, scope: 'row' } });
  for (const layer of result.layers) {
    const mask = result.masks.get(layer.name)!;
    for (let r = 0; r < layer.rows; r++) {
      let kept = 0;
      for (let c = 0; c < layer.cols; c++) kept += mask[layer.order[r * layer.cols + c]!]!;
      assert.equal(kept, layer.cols / 2, `${layer.name} row ${r}`);
    }
  }
});
