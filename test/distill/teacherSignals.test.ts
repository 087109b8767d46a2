import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDistillationTrainer } from '../../src/distill/distill.js';
import { buildMlp } from '../../src/models/mlp.js';
import { blobs } from '../helpers/blobs.js';

async function lossCurve(teacherSignal: 'cached' | 'per-batch', augmentation?: 'jitter') {
  const teacher = buildMlp({ inputDims: [20], hidden: [32], numClasses: 4, seed: 1 });
  const student = buildMlp({ inputDims: [20], hidden: [8], numClasses: 4, seed: 2 });
  const { trainer, teacherSignal: used, close } = await createDistillationTrainer({
    teacher,
    student,
    data: { train: blobs(256, 3) },
    trainer: {
      batchSize: 32, epochs: 2, seed: 5, optimizer: { kind: 'sgd', momentum: 0.9 }, schedule: { kind: 'constant', lr: 0.05 }, progress: 'silent',
      augmentation: augmentation ? { kind: 'jitter', maxShift: 1, height: 4, width: 5 } : undefined,
    },
    kd: { temperature: 4, alpha: 0.3 },
    teacherSignal,
  });
  const losses: number[] = [];
  const result = await trainer.fit();
  for (const epoch of result.history) losses.push(epoch.trainLoss);
  await close();
  return { losses, used, lastLoss: result.lastLoss };
}

test('cached teacher logits give exactly the losses of running the teacher per batch', async () => {
  const cached = await lossCurve('cached');
  const perBatch = await lossCurve('per-batch');
  assert.equal(cached.used, 'cached');
  assert.equal(perBatch.used, 'per-batch');
  assert.deepEqual(cached.losses, perBatch.losses);
  assert.equal(cached.lastLoss, perBatch.lastLoss);
});

test('with augmentation the teacher runs per batch by default', async () => {
  const run = await lossCurve(undefined as never, 'jitter');
  assert.equal(run.used, 'per-batch');
  assert.ok(run.losses.every(Number.isFinite));
});
