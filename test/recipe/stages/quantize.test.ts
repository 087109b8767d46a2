/**
 * The recipe stage kind `quantize`, called as the runner calls it, on a small trained MLP and the
 * first 1000 MNIST images: each method writes a model ORT loads, in the form the method promises,
 * calibrated on the data input where it needs one; kwargs of another method are errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { testEvaluation } from '../../../src/eval/modelSummary.js';
import { stageKinds } from '../../../src/recipe/stages/index.js';
import { quantizeStage, type QuantizeKwargs } from '../../../src/recipe/stages/quantize.js';
import { isRetortError } from '../../../src/util/errors.js';
import { assertRunsInOrt, opTypes, trainedModel } from './compressionModels.js';
import { stageContext, tempDir } from './context.js';

const kwargs = (k: Record<string, unknown>): QuantizeKwargs => quantizeStage.kwargs.parse(k);

test('registered as `quantize`; options of another method are errors at their path', () => {
  assert.equal(stageKinds.get('quantize'), quantizeStage);
  const issues = quantizeStage.kwargs.safeParse({ method: 'dynamic', bits: 4 }).error!.issues;
  assert.match(issues[0]!.message, /bits/);
  assert.equal(quantizeStage.kwargs.safeParse({ method: 'static', calibrator: { key: 'percentile', kwargs: { percentile: 120 } } }).error!.issues[0]!.path.join('.'), 'calibrator.kwargs.percentile');
  assert.match(JSON.stringify(quantizeStage.kwargs.safeParse({ method: 'int4' }).error!.issues), /static/);
});

test('static (percentile), dynamic, weight-only and fp16: loadable models in the promised form, with size and test error', async () => {
  const dir = tempDir('retort-quantize-');
  const float = await trainedModel(dir, 'mlp:64', 1);
  const cases: [Record<string, unknown>, string][] = [
    [{ method: 'static', calibrator: { key: 'percentile', kwargs: { percentile: 99.99 } }, calibrationSamples: 200 }, 'QuantizeLinear'],
    [{ method: 'dynamic' }, 'DynamicQuantizeMatMul'],
    [{ method: 'weight-only', bits: 8, blockSize: 32 }, 'MatMulNBits'],
    [{ method: 'fp16' }, 'Cast'],
  ];
  const test = stageContext({ data: { limitTest: 500 } }).data.data!.load([784]).test;
  const floatError = (await testEvaluation(readFileSync(float.path), test)).error;
  for (const [k, op] of cases) {
    const ctx = stageContext({ models: { model: float }, data: { limitTest: 500 } });
    const out = await quantizeStage.run(ctx, kwargs(k));
    const model = await assertRunsInOrt(out.artifacts.model!);
    assert.ok(opTypes(model).has(op), `${k.method as string}: no ${op} in ${[...opTypes(model)].join(', ')}`);
    const m = out.metrics as Record<string, number>;
    assert.equal(m.testSamples, 500);
    if (k.method === 'static') assert.equal(m.calibrationSamples, 200);
    // Quantization moves a 64-unit MLP's error by at most a few points.
    assert.ok(Math.abs(m.testError! - floatError) < 0.05, `${k.method as string}: test error ${m.testError} vs ${floatError}`);
    if (k.method !== 'fp16') assert.ok(m.fileBytes! < 0.4 * (784 * 64 + 64 * 10) * 4, `${k.method as string}: ${m.fileBytes} bytes`);
  }
});

test('static without a data input: an error naming the input', async () => {
  const dir = tempDir('retort-quantize-');
  const ctx = stageContext({ models: { model: await trainedModel(dir, 'mlp:16', 2) } });
  const noData = { ...ctx, data: {} };
  await assert.rejects(quantizeStage.run(noData, kwargs({ method: 'static' })), (e) => isRetortError(e) && e.code === 'BAD_ARGUMENT' && /`data` input/.test(e.message));
});
