import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sliceDataset } from '../../src/data/dataset.js';
import { buildMlp } from '../../src/models/mlp.js';
import { Trainer, type TrainerConfig } from '../../src/train/trainer.js';
import { blobs } from './helpers.js';

// One draw of blobs (same centres), split into training and validation samples.
const all = blobs(640, 8, 4, 1);
const data = { train: sliceDataset(all, 0, 512), validation: sliceDataset(all, 512, 640) };

test('a small MLP separates Gaussian blobs (>95% training accuracy in a few epochs)', async () => {
  const model = buildMlp({ hidden: [16], inputDims: [8], numClasses: 4, seed: 3 });
  const config: TrainerConfig = {
    batchSize: 32, epochs: 3, seed: 1, progress: 'silent',
    optimizer: { kind: 'sgd', momentum: 0.9 }, schedule: { kind: 'constant', lr: 0.05 },
  };
  const trainer = await Trainer.create(model, config, data);
  const result = await trainer.fit();
  await trainer.dispose();
  assert.equal(result.epochsCompleted, 3);
  assert.equal(result.steps, 3 * 16);
  const last = result.history.at(-1)!;
  assert.ok(last.trainAccuracy > 0.95, `training accuracy ${last.trainAccuracy}`);
  assert.ok(last.validation!.accuracy > 0.95, `validation accuracy ${last.validation!.accuracy}`);
  assert.ok(result.history[0]!.trainLoss > last.trainLoss);
});

test('kill and resume: a run resumed from a checkpoint ends bit-identical to an uninterrupted one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'retort-resume-'));
  try {
    const model = buildMlp({ hidden: [16], dropout: 0.3, inputDims: [8], numClasses: 4, seed: 4 });
    const config: TrainerConfig = {
      batchSize: 32, epochs: 3, seed: 9, progress: 'silent', maxSteps: 40,
      optimizer: { kind: 'adamw', weightDecay: 0.01 }, schedule: { kind: 'cosine', lr: 0.01, totalSteps: 40, warmupSteps: 5 },
      clipGlobalNorm: 5,
    };
    const straight = await Trainer.create(model, config, data);
    const full = await straight.fit();
    const expected = straight.currentValues();
    await straight.dispose();

    // Interrupted mid-epoch 1 (16 steps per epoch), at step 21.
    const path = join(dir, 'run.ckpt');
    const first = await Trainer.create(model, { ...config, maxSteps: 21, checkpoint: { path, everySteps: 7 } }, data);
    await first.fit();
    await first.dispose();
    const resumed = await Trainer.create(model, { ...config, checkpoint: { path, everySteps: 7 } }, data, { resumeFrom: path });
    assert.equal(resumed.step, 21);
    const rest = await resumed.fit();
    assert.equal(rest.steps, 40);
    assert.equal(rest.lastLoss, full.lastLoss);
    assert.deepEqual(rest.history, full.history);
    for (const [name, values] of expected) {
      assert.ok(Buffer.from(values.buffer).equals(Buffer.from(resumed.currentValues().get(name)!.buffer)), `${name} differs after resume`);
    }
    await resumed.dispose();

    // A checkpoint from another configuration is refused.
    await assert.rejects(
      Trainer.create(model, { ...config, seed: 10 }, data, { resumeFrom: path }),
      { code: 'CHECKPOINT_INVALID' },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the NaN guard stops a diverging run with NON_FINITE naming the step and loss', async () => {
  const model = buildMlp({ hidden: [16], inputDims: [8], numClasses: 4, seed: 3 });
  const trainer = await Trainer.create(model, {
    batchSize: 32, epochs: 2, seed: 1, progress: 'silent',
    optimizer: { kind: 'sgd' }, schedule: { kind: 'constant', lr: 1e38 },
  }, data);
  await assert.rejects(trainer.fit(), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'NON_FINITE');
    assert.match(e.message, /loss is (NaN|Infinity|-Infinity) at step \d+/);
    return true;
  });
  await trainer.dispose();
});

test('early stopping ends training after `patience` epochs without improvement', async () => {
  const model = buildMlp({ hidden: [4], inputDims: [8], numClasses: 4, seed: 3 });
  const trainer = await Trainer.create(model, {
    batchSize: 64, epochs: 50, seed: 1, progress: 'silent',
    optimizer: { kind: 'sgd' }, schedule: { kind: 'constant', lr: 1e-9 },
    earlyStopping: { patience: 2, metric: 'accuracy' },
  }, data);
  const result = await trainer.fit();
  await trainer.dispose();
  assert.equal(result.stoppedEarly, true);
  assert.ok(result.epochsCompleted < 50);
});
