/**
 * PyTorch exports tied and transposed Linear weights as MatMul(A, Transpose(W)); dynamic and
 * weight-only quantization must see through the Transpose (gpt_tiny has 9 such weight MatMuls and
 * 4 activation-by-activation MatMuls that stay float).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../src/onnx/model.js';
import { quantizeDynamic } from '../../src/quantize/dynamic.js';
import { quantizeWeightOnly } from '../../src/quantize/weightOnly.js';
import { outputAgreement } from '../../src/quantize/agreement.js';
import { int64Tensor } from '../../src/runtime/tensors.js';
import { loadFixture } from '../helpers/fixtures.js';
import { runFirstOutput } from './helpers.js';

const count = (ops: readonly { opType: string }[], type: string) => ops.filter((n) => n.opType === type).length;

test('gpt_tiny: weights behind Transpose are quantized, tied embeddings kept for Gather', async () => {
  const fx = loadFixture('gpt_tiny');
  const model = loadModel(fx.modelPath);
  const feeds = { input: int64Tensor(fx.input.data as BigInt64Array, fx.input.dims) };
  const float = await runFirstOutput(model, feeds);
  const classes = fx.logits!.dims.at(-1)!;

  const dynamic = quantizeDynamic(model, { method: 'dynamic', weights: { symmetric: true, granularity: 'per-channel' } }).model;
  assert.equal(count(dynamic.graph!.node, 'DynamicQuantizeMatMul'), 9);
  assert.equal(count(dynamic.graph!.node, 'MatMul'), 4);
  const d = outputAgreement(float, await runFirstOutput(dynamic, feeds), classes);
  assert.ok(d.cosineSimilarity > 0.999, `dynamic cosine ${d.cosineSimilarity}`);

  const q4 = (await quantizeWeightOnly(model, { method: 'weight-only', bits: 4, blockSize: 32, symmetric: true, algorithm: { kind: 'rtn' } })).model;
  assert.equal(count(q4.graph!.node, 'MatMulNBits'), 9);
  // The token embedding is tied to the head: Gather still reads the float table.
  const gather = q4.graph!.node.find((n) => n.opType === 'Gather' && q4.graph!.initializer.some((t) => t.name === n.input[0]));
  assert.ok(gather, 'the embedding Gather keeps its float initializer');
  const w = outputAgreement(float, await runFirstOutput(q4, feeds), classes);
  assert.ok(w.cosineSimilarity > 0.99, `4-bit cosine ${w.cosineSimilarity}`);
});
