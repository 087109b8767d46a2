/**
 * The recipe stage kind `qat`, called as the runner calls it, on a small MLP and the first 1000 MNIST
 * images: a distilled QAT run writes a QDQ model ORT loads, and a run stopped after 7 steps resumes
 * from ctx.checkpoint to the same bytes as an uninterrupted one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { stageKinds } from '../../../src/recipe/stages/index.js';
import { qatStage, type QatKwargs } from '../../../src/recipe/stages/qat.js';
import { assertRunsInOrt, builtModel, opTypes, sameBytes, trainedModel } from './compressionModels.js';
import { stageContext, tempDir } from './context.js';

const kwargs = (k: Record<string, unknown>): QatKwargs => qatStage.kwargs.parse(k);
const training = { epochs: 2, batchSize: 100, checkpointEvery: 4, optimizer: { key: 'sgd', kwargs: { lr: 0.05 } } };

test('registered as `qat`; LSQ with the plain estimator and bits out of range are errors at their paths', () => {
  assert.equal(stageKinds.get('qat'), qatStage);
  const issues = qatStage.kwargs.safeParse({ training, scales: { key: 'learned' }, ste: 'plain', bits: 9 }).error!.issues.map((i) => i.path.join('.'));
  assert.deepEqual(issues.sort(), ['bits', 'ste']);
  assert.equal(qatStage.kwargs.safeParse({}).error!.issues[0]!.path.join('.'), 'training');
});

test('distilled QAT from PTQ ranges: a QDQ model with int8 weights that runs in ORT, scored on the test split', async () => {
  const dir = tempDir('retort-qat-');
  const teacher = await trainedModel(dir, 'mlp:64', 1);
  const student = await trainedModel(dir, 'mlp:32', 2);
  const ctx = stageContext({ models: { model: student, teacher } });
  const out = await qatStage.run(ctx, kwargs({ training, rangeInit: { key: 'ptq', kwargs: { calibrator: { key: 'percentile' } } }, calibrationSamples: 256 }));
  const model = await assertRunsInOrt(out.artifacts.model!);
  for (const op of ['QuantizeLinear', 'DequantizeLinear']) assert.ok(opTypes(model).has(op), op);
  assert.ok(model.graph!.initializer.some((t) => t.dataType === 3 && t.dims.length === 2), 'int8 weight codes');
  const m = out.metrics as Record<string, unknown>;
  assert.equal(m.distilled, true);
  assert.equal(m.steps, 20);
  assert.equal(m.testSamples, 1000);
  assert.ok((m.testError as number) < 0.5, `test error ${m.testError as number}`);
});

test('stopped after 7 steps, it resumes from ctx.checkpoint to the same model as an uninterrupted run', async () => {
  const dir = tempDir('retort-qat-');
  const student = builtModel(dir, 'mlp:32', 3);
  const whole = await qatStage.run(stageContext({ models: { model: student }, seed: 2 }), kwargs({ training, calibrationSamples: 256 }));
  const ctx = stageContext({ models: { model: student }, seed: 2 });
  await qatStage.run(ctx, kwargs({ training: { ...training, maxSteps: 7 }, calibrationSamples: 256 }));
  assert.ok(existsSync(ctx.checkpoint));
  const resumed = await qatStage.run(ctx, kwargs({ training, calibrationSamples: 256 }));
  assert.ok(sameBytes(resumed.artifacts.model!, whole.artifacts.model!), 'resumed and uninterrupted models differ');
});
