import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measureCost } from '../../../src/eval/cost/index.js';
import { correctPerSample, brierPerSample, nllPerSample, accuracy, brierScore, negativeLogLikelihood, fromLogits } from '../../../src/eval/metrics/index.js';
import { agreementPerSample, klPerSample, meanKlDivergence, teacherAgreement } from '../../../src/eval/fidelity.js';
import { buildMlp } from '../../../src/models/mlp.js';
import { encodeModel } from '../../../src/onnx/model.js';
import { quantizeDynamic } from '../../../src/quantize/dynamic.js';

test('a dynamic-int8 model keeps its MACs and counts its int8 weights as parameters', async () => {
  const model = buildMlp({ inputDims: [20], hidden: [16], numClasses: 4, seed: 1 });
  const quantized = quantizeDynamic(model, { method: 'dynamic', weights: { symmetric: true, granularity: 'per-channel' } }).model;
  const latency = { batch: 1, runs: 2, warmup: 1, threads: 1 };
  const float = await measureCost(encodeModel(model), { model, latency });
  const int8 = await measureCost(encodeModel(quantized), { model: quantized, latency });
  assert.equal(float.macs.total, 20 * 16 + 16 * 4);
  assert.equal(int8.macs.total, float.macs.total);
  assert.deepEqual(int8.perLayer.map((l) => [l.weights, l.bits]), [[20 * 16, 8], [16 * 4, 8]]);
  // Weights, plus float biases and per-channel scales.
  assert.ok(int8.parameters >= float.parameters, `${int8.parameters} < ${float.parameters}`);
});

test('per-sample forms average to the aggregate metrics', () => {
  const logitsA = [2, 0, -1, 0.5, 1, 0, -2, 3, 0.1, 0.2, 0.3, 0.4];
  const logitsB = [1, 1, 0, 0, 0, 2, 0, 0, 1, 0, 0, 3];
  const labels = [0, 1, 3];
  const a = fromLogits(logitsA, labels, 4);
  const b = fromLogits(logitsB, labels, 4);
  const mean = (v: Float64Array) => v.reduce((s, x) => s + x, 0) / v.length;
  assert.equal(mean(correctPerSample(a)), accuracy(a));
  assert.ok(Math.abs(mean(nllPerSample(a)) - negativeLogLikelihood(a)) < 1e-12);
  assert.ok(Math.abs(mean(brierPerSample(a)) - brierScore(a)) < 1e-12);
  assert.equal(mean(agreementPerSample(a, b)), teacherAgreement(a, b));
  assert.ok(Math.abs(mean(klPerSample(a, b)) - meanKlDivergence(a, b)) < 1e-12);
  assert.deepEqual([...correctPerSample(a)], [1, 0, 1]);
});
