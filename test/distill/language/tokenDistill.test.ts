/**
 * Token-level distillation through `distill` on language-model data: the teacher runs on each
 * step's windows, the kd term compares [batch, context, vocab] logits, and training on it moves the
 * student's distributions toward the teacher's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { withContextMetadata } from '../../../src/data/text/forLanguageModel.js';
import { buildGpt } from '../../../src/models/gpt.js';
import { loadModel } from '../../../src/onnx/model.js';
import { fixturesDir } from '../../helpers/fixtures.js';
import { allocateWindows, gatherWindows, randomWindowStarts } from '../../../src/data/text/windows.js';
import { createDistillationTrainer, distill } from '../../../src/distill/distill.js';
import { tokenKdTerms } from '../../../src/distill/language/tokenKd.js';
import { windowRng } from '../../../src/train/seeds.js';
import { corpus, CONTEXT, data, heldOutWindows, logitsOf, meanKl, sharpTeacher, tinyGpt, trainerConfig, VOCAB } from './helpers.js';

const teacher = sharpTeacher(1);

for (const divergence of ['forward-kl', 'reverse-kl'] as const) {
  test(`30 steps of token-level ${divergence} (alpha 0) lower it on held-out windows`, async () => {
    const student = tinyGpt(5);
    const windows = heldOutWindows();
    const teacherLogits = await logitsOf(teacher, windows);
    const before = meanKl(teacherLogits, await logitsOf(student, windows), VOCAB, divergence);
    const result = await distill({ teacher, student, data, trainer: trainerConfig({ maxSteps: 30 }), terms: tokenKdTerms({ divergence, temperature: 1, alpha: 0 }) });
    assert.equal(result.teacherSignal, 'per-batch');
    assert.equal(result.steps, 30);
    const after = meanKl(teacherLogits, await logitsOf(result.model, windows), VOCAB, divergence);
    assert.ok(after < 0.8 * before, `${divergence} on held-out windows ${before.toFixed(4)} -> ${after.toFixed(4)}`);
  });
}

test('the first step\'s loss is T^2 times the mean KL between teacher and student on that step\'s windows', async () => {
  const student = tinyGpt(5);
  const temperature = 2;
  const config = trainerConfig({ maxSteps: 1 });
  const result = await distill({ teacher, student, data, trainer: config, terms: tokenKdTerms({ divergence: 'reverse-kl', temperature, alpha: 0 }) });
  // The windows the Trainer drew at step 0, and both models' logits on them at T = 2.
  const windows = gatherWindows(corpus.train, randomWindowStarts(windowRng(config.seed, 0), config.batchSize, corpus.train, CONTEXT), allocateWindows(config.batchSize, CONTEXT));
  const soften = (logits: Float32Array) => logits.map((v) => v / temperature);
  const expected = temperature ** 2 * meanKl(soften(await logitsOf(teacher, windows)), soften(await logitsOf(student, windows)), VOCAB, 'reverse-kl');
  assert.ok(Math.abs(result.lastLoss - expected) < 1e-4 * Math.max(1, expected), `training-graph loss ${result.lastLoss}, by hand ${expected}`);
});

test('the teacher changes the update: ce + kd differs from ce alone, and from ce + kd with another teacher', async () => {
  const student = tinyGpt(5);
  const config = trainerConfig({ maxSteps: 1, optimizer: { kind: 'sgd' }, schedule: { kind: 'constant', lr: 0.5 } });
  const stepped = async (terms: ReturnType<typeof tokenKdTerms>, withTeacher = teacher) => {
    const { trainer, close } = await createDistillationTrainer({ teacher: withTeacher, student, data, trainer: config, terms });
    try {
      await trainer.fit();
      return trainer.currentValues();
    } finally {
      await close();
    }
  };
  const start = new Map(student.graph!.initializer.map((t) => [t.name, t]));
  const ceOnly = await stepped([{ name: 'ce', weight: 0.5, term: tokenKdTerms({ divergence: 'forward-kl', temperature: 1, alpha: 1 })[0]!.term }]);
  const withKd = await stepped(tokenKdTerms({ divergence: 'forward-kl', temperature: 1, alpha: 0.5 }));
  const otherTeacher = await stepped(tokenKdTerms({ divergence: 'forward-kl', temperature: 1, alpha: 0.5 }), sharpTeacher(2));
  const largestDifference = (a: Map<string, Float32Array>, b: Map<string, Float32Array>) => {
    let largest = 0;
    for (const [name, values] of a) values.forEach((v, i) => (largest = Math.max(largest, Math.abs(v - b.get(name)![i]!))));
    return largest;
  };
  assert.ok(start.has('head.weight'));
  assert.ok(largestDifference(ceOnly, withKd) > 1e-3, `kd changed the update by ${largestDifference(ceOnly, withKd)}`);
  assert.ok(largestDifference(withKd, otherTeacher) > 1e-3, `another teacher changed the update by ${largestDifference(withKd, otherTeacher)}`);
});

test('token data: the teacher signal cannot be cached; windows longer than the teacher\'s context and a smaller teacher vocabulary are refused', async () => {
  const student = tinyGpt(5);
  const terms = tokenKdTerms({ divergence: 'forward-kl', temperature: 1, alpha: 0 });
  await assert.rejects(distill({ teacher, student, data, trainer: trainerConfig({ maxSteps: 1 }), terms, teacherSignal: 'cached' }), { code: 'BAD_ARGUMENT', message: /cached.*token windows/ });
  await assert.rejects(distill({ teacher, student, data: { ...data, context: 32 }, trainer: trainerConfig({ maxSteps: 1 }), terms }), { code: 'BAD_ARGUMENT', message: /at most 16 tokens/ });
  const smallVocabulary = withContextMetadata(buildGpt({ layers: 1, dim: 16, heads: 2, context: CONTEXT, vocabSize: 30, seed: 1 }), CONTEXT);
  await assert.rejects(distill({ teacher: smallVocabulary, student, data, trainer: trainerConfig({ maxSteps: 1 }), terms }), { code: 'DATA_INVALID', message: /teacher predicts 30/ });
});

test('a PyTorch-exported teacher (gpt_tiny, windows of 32) distilled into a retort-built student: the first loss is the KL on that step\'s windows', async () => {
  const torchTeacher = loadModel(path.join(fixturesDir, 'gpt_tiny.onnx'));
  const student = withContextMetadata(buildGpt({ layers: 1, dim: 16, heads: 2, context: 32, vocabSize: VOCAB, seed: 8 }), 32);
  const config = trainerConfig({ maxSteps: 1 });
  const result = await distill({ teacher: torchTeacher, student, data: { ...data, context: 32 }, trainer: config, terms: tokenKdTerms({ divergence: 'forward-kl', temperature: 1, alpha: 0 }) });
  assert.equal(result.teacherSignal, 'per-batch');
  const windows = gatherWindows(corpus.train, randomWindowStarts(windowRng(config.seed, 0), config.batchSize, corpus.train, 32), allocateWindows(config.batchSize, 32));
  const expected = meanKl(await logitsOf(torchTeacher, windows), await logitsOf(student, windows), VOCAB, 'forward-kl');
  assert.ok(Math.abs(result.lastLoss - expected) < 1e-4 * Math.max(1, expected), `training-graph loss ${result.lastLoss}, by hand ${expected}`);
});
