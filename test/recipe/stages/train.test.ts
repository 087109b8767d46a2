/**
 * The recipe stage kind `train`, called as the runner calls it, on 1000 MNIST training images and
 * 1000 test images for a few epochs: what it writes and reports, exact resume from its checkpoint
 * (after a budget stop mid-epoch and after a crash at an epoch's end), and kwargs validation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { TrainMetrics } from '../../../src/train/classifierRun.js';
import { trainStage, type TrainKwargs } from '../../../src/recipe/stages/train.js';
import { stageKinds } from '../../../src/recipe/stages/index.js';
import { Session } from '../../../src/runtime/session.js';
import { floatTensor } from '../../../src/runtime/tensors.js';
import { modelInput, stageContext, tempDir } from './context.js';

const kwargs = (k: Record<string, unknown>): TrainKwargs => trainStage.kwargs.parse(k);
const training = (dir: string): TrainMetrics => JSON.parse(readFileSync(path.join(dir, 'training.json'), 'utf8')) as TrainMetrics;
// 1000 images are 7 steps of 128 per epoch; 3 epochs are 21 steps.
const run = { arch: 'mlp:32,dropout=0.2', epochs: 3, optimizer: { key: 'sgd', kwargs: { lr: 0.1, nesterov: true, weightDecay: 5e-4 } }, schedule: { key: 'cosine', kwargs: { warmupEpochs: 1 } }, clipNorm: 5, maxNorm: 3, checkpointEvery: 3 };

test('registered as `train`; writes model.onnx and training.json and reports size, sparsity and test error', async () => {
  assert.equal(stageKinds.get('train'), trainStage);
  const ctx = stageContext({ seed: 3 });
  const out = await trainStage.run(ctx, kwargs({ arch: 'mlp:32', epochs: 2, optimizer: { key: 'sgd', kwargs: { lr: 0.1 } } }));
  assert.deepEqual(Object.keys(out.artifacts).sort(), ['model', 'training']);
  assert.equal(out.artifacts.model, path.join(ctx.dir, 'model.onnx'));
  const session = await Session.create(readFileSync(out.artifacts.model!), { name: 'trained' });
  try {
    const result = await session.run({ [session.inputNames[0]!]: floatTensor(new Float32Array(2 * 784), [2, 784]) }, [session.outputNames[0]!]);
    assert.deepEqual(result[session.outputNames[0]!]!.dims, [2, 10]);
  } finally {
    await session.dispose();
  }
  const m = out.metrics as Record<string, number | string>;
  assert.equal(m.parameters, 784 * 32 + 32 + 32 * 10 + 10);
  assert.ok((m.nonZeroParameters as number) > 0.99 * 784 * 32, `non-zero ${m.nonZeroParameters}`);
  assert.equal(m.fileBytes, statSync(out.artifacts.model!).size);
  assert.equal(m.testSamples, 1000);
  // Far better than chance (90% error) after 14 steps, and a number the test errors make.
  assert.ok((m.testError as number) > 0 && (m.testError as number) < 0.6, `test error ${m.testError}`);
  assert.equal(Math.round((m.testError as number) * 1000) / 1000, m.testError);
  assert.equal(m.status, 'complete');
  assert.equal(m.steps, 14);
  assert.equal(m.epochs, 2);
  assert.ok((m.seconds as number) > 0);

  const t = training(ctx.dir);
  assert.equal(t.status, 'complete');
  assert.equal(t.seed, 3);
  assert.deepEqual(t.config.model, { source: 'arch', arch: 'mlp:32' });
  assert.deepEqual(t.data, { name: 'mnist', train: 1000, validation: 0, test: 1000, inputDims: [784] });
  assert.deepEqual(t.epochs.map((e) => [e.epoch, e.steps]), [[1, 7], [2, 14]]);
  // The stage's test error is training.json's (the same model, scored again from its bytes).
  assert.equal(t.test!.errors / t.test!.samples, m.testError);
  assert.deepEqual(t.config.schedule, { kind: 'cosine', lr: 0.1, totalSteps: 14, minLr: 0, warmupSteps: 0 });
  assert.deepEqual(t.config.optimizer, { kind: 'sgd', momentum: 0.9, nesterov: false, weightDecay: 0 });
  assert.ok(ctx.lines.some((l) => /^epoch 2: test error \d+ of 1000/.test(l)), ctx.lines.join('\n'));
  assert.ok(existsSync(ctx.checkpoint), 'the checkpoint stays for the runner to drop');

  // Trained further from its own output (the `model` input) instead of an architecture.
  const further = stageContext();
  const again = await trainStage.run({ ...further, models: { model: modelInput(out.artifacts.model!) } }, kwargs({ epochs: 1, optimizer: { key: 'sgd', kwargs: { lr: 0.01 } } }));
  assert.equal(training(further.dir).config.model.source, 'file');
  assert.ok((again.metrics.testError as number) < 0.6);
});

test('stopped by maxSteps mid-epoch, then run again: continues from the checkpoint to the bytes of an uninterrupted run', async () => {
  const whole = stageContext({ seed: 5 });
  const uninterrupted = await trainStage.run(whole, kwargs(run));
  const dir = tempDir('retort-stage-');
  const first = await trainStage.run(stageContext({ dir, seed: 5 }), kwargs({ ...run, maxSteps: 10 }));
  assert.equal(first.metrics.status, 'max-steps');
  assert.equal(first.metrics.steps, 10);
  assert.notDeepEqual(readFileSync(path.join(dir, 'model.onnx')), readFileSync(path.join(whole.dir, 'model.onnx')));

  const second = stageContext({ dir, seed: 5 });
  const resumed = await trainStage.run(second, kwargs(run));
  assert.equal(resumed.metrics.resumedFromStep, 10, 'the checkpoint written where the budget stopped it');
  assert.equal(resumed.metrics.status, 'complete');
  assert.deepEqual(readFileSync(path.join(dir, 'model.onnx')), readFileSync(path.join(whole.dir, 'model.onnx')));
  const strip = (m: TrainMetrics) => m.epochs.map(({ seconds: _s, samplesPerSecond: _r, ...rest }) => rest);
  assert.deepEqual(strip(training(dir)), strip(training(whole.dir)));
  assert.equal(resumed.metrics.testError, uninterrupted.metrics.testError);
});

test('a crash in the second epoch\'s test pass, then a new attempt: resumes at the epoch boundary, same result; a checkpoint of other settings is dropped', async () => {
  const whole = stageContext({ seed: 2 });
  await trainStage.run(whole, kwargs({ ...run, checkpointEvery: undefined }));
  const dir = tempDir('retort-stage-');
  const crashing = stageContext({ dir, seed: 2 });
  crashing.log = (line) => {
    if (line.startsWith('epoch 2:')) throw new Error('killed');
  };
  await assert.rejects(trainStage.run(crashing, kwargs({ ...run, checkpointEvery: undefined })), /killed/);
  assert.ok(existsSync(crashing.checkpoint));
  assert.equal(training(dir).status, 'running');

  const again = stageContext({ dir, seed: 2 });
  const out = await trainStage.run(again, kwargs({ ...run, checkpointEvery: undefined }));
  assert.equal(out.metrics.resumedFromStep, 14);
  assert.deepEqual(readFileSync(path.join(dir, 'model.onnx')), readFileSync(path.join(whole.dir, 'model.onnx')));
  // Epoch 2's entry, lost in the crash, is measured on resume (the weights are epoch 2's); its time is unknown.
  const strip = (m: TrainMetrics) => m.epochs.map(({ seconds: _s, samplesPerSecond: _r, ...rest }) => rest);
  assert.deepEqual(strip(training(dir)), strip(training(whole.dir)));
  assert.equal(training(dir).epochs[1]!.seconds, null);

  // Another seed is another run: its checkpoint cannot continue this one, so the stage starts over.
  const other = stageContext({ dir: whole.dir, seed: 9 });
  const fresh = await trainStage.run(other, kwargs({ ...run, epochs: 2 }));
  assert.equal(fresh.metrics.resumedFromStep, null);
  assert.ok(other.lines.some((l) => /cannot resume from .*checkpoint.ckpt .*starting over/.test(l)), other.lines.join('\n'));
});

test('kwargs: defaults, and every problem at once with its path', async () => {
  const k = kwargs({ arch: 'lenet5', epochs: 1 });
  assert.equal(k.batchSize, 128);
  assert.equal(k.optimizer.key, 'sgd');
  assert.equal(k.schedule.key, 'cosine');
  assert.equal(k.jitter, 0);
  const bad = trainStage.kwargs.safeParse({ arch: 'vgg16', epochs: 0, optimizer: { key: 'rmsprop' }, schedule: { key: 'cosine', kwargs: { warmup: 1 } }, clipNorm: -1, colour: 'red' });
  assert.ok(!bad.success);
  const paths = bad.error.issues.map((i) => i.path.join('.'));
  for (const p of ['arch', 'epochs', 'optimizer.key', 'schedule.kwargs', 'clipNorm', '']) assert.ok(paths.includes(p), `${p} in ${paths.join(' | ')}`);
  assert.match(bad.error.issues.find((i) => i.path[0] === 'arch')!.message, /unknown architecture "vgg16". Should be one of: mlp/);

  // Neither (or both) of the model input and kwargs.arch: a clear error before any work.
  await assert.rejects(trainStage.run(stageContext(), kwargs({ epochs: 1 })), /give exactly one of the `model` input .* or kwargs.arch/);
  await assert.rejects(trainStage.run(stageContext(), kwargs({ epochs: 1, arch: 'mlp:8', patience: 2 })), /patience needs a validation split/);
});
