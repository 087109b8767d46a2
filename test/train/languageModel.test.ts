/**
 * Training on token sequences: the PyTorch-exported gpt_tiny (int64 [B, 32] -> logits [B, 32, 65],
 * untrained) fine-tuned on Tiny Shakespeare windows through the same Trainer as the classifiers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTextFile, tokenSequence, type TokenSequence } from '../../src/data/text/corpus.js';
import { allocateWindows, gatherWindows, randomWindowStarts } from '../../src/data/text/windows.js';
import { encodeModel, loadModel } from '../../src/onnx/model.js';
import { Session } from '../../src/runtime/session.js';
import { int64Tensor } from '../../src/runtime/tensors.js';
import { evaluateLanguageModel } from '../../src/train/evaluateLanguageModel.js';
import { windowRng } from '../../src/train/seeds.js';
import { Trainer, type LanguageModelData, type TrainerConfig } from '../../src/train/trainer.js';
import { fixturesDir } from '../helpers/fixtures.js';

const model = loadModel(path.join(fixturesDir, 'gpt_tiny.onnx'));
const corpus = loadTextFile(path.resolve('../shared/data/tinyshakespeare.txt'), { tokenizer: 'char' });
const CONTEXT = 32;
// 64 validation windows (2,048 scored tokens) keep each evaluation quick.
const head = (s: TokenSequence, n: number) => tokenSequence(s.name, s.tokens.subarray(0, n), s.vocabSize);
const validation = head(corpus.validation!, 64 * CONTEXT + 1);
const data: LanguageModelData = { kind: 'languageModeling', train: corpus.train, validation, context: CONTEXT, stepsPerEpoch: 10 };
const config: TrainerConfig = {
  batchSize: 16, epochs: 3, seed: 5, progress: 'silent', threads: 2,
  optimizer: { kind: 'adamw' }, schedule: { kind: 'constant', lr: 3e-3 }, clipGlobalNorm: 1,
};

test('tinyshakespeare has the 65 characters gpt_tiny predicts', () => {
  assert.equal(corpus.tokenizer.vocabSize, 65);
  assert.equal(corpus.tokenizer.decode(corpus.train.tokens.subarray(0, 14)), 'First Citizen:');
});

test('30 steps of fine-tuning gpt_tiny lower the validation loss from about ln 65', async () => {
  const trainer = await Trainer.create(model, config, data);
  try {
    const before = await trainer.evaluate(validation);
    // Untrained: close to the uniform distribution's ln 65 = 4.17 nats.
    assert.ok(Math.abs(before.loss - Math.log(65)) < 0.3, `initial loss ${before.loss}`);
    assert.equal(before.samples, 64 * CONTEXT);
    const result = await trainer.fit();
    assert.equal(result.steps, 30);
    assert.equal(result.history.length, 3);
    const after = result.history.at(-1)!.validation!;
    assert.ok(after.loss < before.loss - 0.8, `validation loss ${before.loss} -> ${after.loss}`);
    assert.ok(result.history[0]!.trainLoss > result.history[2]!.trainLoss);
    // Next-token accuracy counts every position: a fraction of batch x context labels.
    assert.ok(result.history[2]!.trainAccuracy > 0.1 && result.history[2]!.trainAccuracy < 1);
    // The exported model scores the same as the Trainer's evaluation.
    const session = await Session.create(encodeModel(result.model), { name: 'trained gpt_tiny' });
    const again = await evaluateLanguageModel(session, validation, { context: CONTEXT, batchSize: 7 });
    await session.dispose();
    assert.ok(Math.abs(again.loss - after.loss) < 1e-9);
    assert.ok(Math.abs(again.perplexity - Math.exp(after.loss)) < 1e-9);
  } finally {
    await trainer.dispose();
  }
});

test('the training loss is the mean cross-entropy over every position of the step\'s windows', async () => {
  const trainer = await Trainer.create(model, { ...config, maxSteps: 1 }, data);
  const result = await trainer.fit();
  await trainer.dispose();
  // The first step's loss is computed with the initial weights on the windows of (seed, step 0).
  const windows = gatherWindows(corpus.train, randomWindowStarts(windowRng(config.seed, 0), 16, corpus.train, CONTEXT), allocateWindows(16, CONTEXT));
  const session = await Session.create(encodeModel(model), { name: 'gpt_tiny' });
  const logits = (await session.run({ input: int64Tensor(windows.inputs, [16, CONTEXT]) }, ['logits'])).logits!.data as Float32Array;
  await session.dispose();
  let sum = 0;
  for (let p = 0; p < 16 * CONTEXT; p++) {
    const row = Array.from(logits.subarray(p * 65, (p + 1) * 65));
    const max = Math.max(...row);
    const logSumExp = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
    sum += logSumExp - row[Number(windows.labels[p])]!;
  }
  const expected = sum / (16 * CONTEXT);
  assert.ok(Math.abs(result.lastLoss - expected) < 1e-4, `training-graph loss ${result.lastLoss}, by hand ${expected}`);
});

test('kill and resume on token windows ends bit-identical to an uninterrupted run', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retort-lm-resume-'));
  try {
    const short = { ...config, epochs: 2, maxSteps: 14, evalBatchSize: 16 };
    const straight = await Trainer.create(model, short, data);
    const full = await straight.fit();
    const expected = straight.currentValues();
    await straight.dispose();

    const file = path.join(dir, 'lm.ckpt');
    const first = await Trainer.create(model, { ...short, maxSteps: 7, checkpoint: { path: file, everySteps: 3 } }, data);
    await first.fit();
    await first.dispose();
    const resumed = await Trainer.create(model, { ...short, checkpoint: { path: file, everySteps: 3 } }, data, { resumeFrom: file });
    assert.equal(resumed.step, 7);
    const rest = await resumed.fit();
    assert.equal(rest.steps, 14);
    assert.equal(rest.lastLoss, full.lastLoss);
    assert.deepEqual(rest.history, full.history);
    for (const [name, values] of expected) {
      assert.ok(Buffer.from(values.buffer).equals(Buffer.from(resumed.currentValues().get(name)!.buffer)), `${name} differs after resume`);
    }
    await resumed.dispose();
    // Another window length or corpus is another trajectory: the checkpoint refuses it.
    await assert.rejects(Trainer.create(model, short, { ...data, stepsPerEpoch: 11 }, { resumeFrom: file }), { code: 'CHECKPOINT_INVALID' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('token data errors: a split shorter than one window, augmentation, extra feeds for inputs the loss does not read', async () => {
  const tiny = tokenSequence('tiny', Int32Array.from([1, 2, 3]), 65);
  await assert.rejects(Trainer.create(model, config, { ...data, validation: tiny }), { code: 'DATA_INVALID', message: /"tiny" holds 3 tokens/ });
  await assert.rejects(Trainer.create(model, { ...config, augmentation: { kind: 'jitter', maxShift: 2, height: 4, width: 8 } }, data), { code: 'BAD_ARGUMENT', message: /augmentation/ });
  // Extra feeds (teacher signals) are taken with token windows, for loss inputs the loss declares.
  await assert.rejects(Trainer.create(model, config, data, { extraFeeds: async () => ({}), extraInputs: ['teacher_logits'] }), { code: 'BAD_ARGUMENT', message: /loss inputs its extraFeeds provide/ });
});
