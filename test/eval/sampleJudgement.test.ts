/** Samples of a language model scored by a judge: the scoring against the evaluator, n-gram diversity by hand, seeding. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tokenSequence } from '../../src/data/text/corpus.js';
import { withContextMetadata } from '../../src/data/text/forLanguageModel.js';
import { distinctNgrams, judgeSamples, scoreContinuations } from '../../src/eval/sampleJudgement.js';
import { buildGpt } from '../../src/models/gpt.js';
import { encodeModel } from '../../src/onnx/model.js';
import { evaluateLanguageModelBytes } from '../../src/train/evaluateLanguageModel.js';
import { Rng } from '../../src/util/random.js';

const CONTEXT = 8;
const VOCAB = 12;
const student = buildGpt({ layers: 1, dim: 16, heads: 2, context: CONTEXT, vocabSize: VOCAB, seed: 1 });
const teacher = buildGpt({ layers: 2, dim: 16, heads: 2, context: CONTEXT, vocabSize: VOCAB, seed: 2 });
const rng = new Rng(3);
const text = tokenSequence('prompts', Int32Array.from({ length: 4 * CONTEXT + 1 }, () => rng.int(VOCAB)), VOCAB);

test('distinct n-grams: counted within each row, from the given token on', () => {
  // Rows [1 2 3 1 2 3] and [4 4 4 4 4 4]; bigrams from token 0: 12 23 31 12 23 | 44 x5 -> 4 distinct of 10.
  const rows = Int32Array.of(1, 2, 3, 1, 2, 3, 4, 4, 4, 4, 4, 4);
  assert.equal(distinctNgrams(rows, 6, 0, 2), 4 / 10);
  // From token 3: 12 23 | 44 44 -> 3 distinct of 4.
  assert.equal(distinctNgrams(rows, 6, 3, 2), 3 / 4);
  assert.ok(Number.isNaN(distinctNgrams(rows, 6, 5, 2)), 'no whole n-gram');
});

test('scoring rows from token 1 equals the evaluator on the same windows', async () => {
  // The text's 4 windows as rows of context + 1 tokens (each window and the label after it).
  const rows = new Int32Array(4 * (CONTEXT + 1));
  for (let w = 0; w < 4; w++) rows.set(text.tokens.subarray(w * CONTEXT, w * CONTEXT + CONTEXT + 1), w * (CONTEXT + 1));
  const scored = await scoreContinuations(teacher, rows, CONTEXT + 1, 1, { batchSize: 3 });
  const evaluated = await evaluateLanguageModelBytes(encodeModel(teacher), text, { context: CONTEXT, batchSize: 4 });
  assert.equal(evaluated.windows, 4);
  assert.ok(Math.abs(scored.loss - evaluated.loss) < 1e-5, `${scored.loss} vs ${evaluated.loss}`);
  // Row by row: each window alone, as a text of its own, gives its row's mean.
  for (let w = 0; w < 4; w++) {
    const alone = tokenSequence(`window ${w}`, text.tokens.slice(w * CONTEXT, w * CONTEXT + CONTEXT + 1), VOCAB);
    const one = await evaluateLanguageModelBytes(encodeModel(teacher), alone, { context: CONTEXT, batchSize: 1 });
    assert.ok(Math.abs(scored.rowLosses[w]! - one.loss) < 1e-5, `row ${w}: ${scored.rowLosses[w]} vs ${one.loss}`);
  }
  // Scoring from a later token leaves the first positions out: a different mean.
  assert.notEqual((await scoreContinuations(teacher, rows, CONTEXT + 1, 4)).loss, scored.loss);
  await assert.rejects(scoreContinuations(teacher, rows, CONTEXT + 1, 0), /1 <= from < 9/);
});

test('judging samples: seeded, the model as its own judge agrees with itself, another judge does not', async () => {
  const options = { prompts: text, tokens: 40, promptLength: 2, temperature: 1, seed: 7, context: CONTEXT, threads: 1 };
  const a = await judgeSamples(student, teacher, options);
  const b = await judgeSamples(student, teacher, options);
  assert.deepEqual({ ...a, seconds: 0 }, { ...b, seconds: 0 });
  // 40 tokens at 7 sampled per sample (9 - 2): 6 samples.
  assert.equal(a.samples, 6);
  assert.equal(a.sampledTokens, 42);
  const self = await judgeSamples(student, student, options);
  assert.equal(self.judgeLoss, self.selfLoss);
  assert.equal(self.selfLoss, a.selfLoss, 'the same samples whoever judges');
  assert.notEqual(a.judgeLoss, a.selfLoss);
  assert.ok(a.distinct4 > 0 && a.distinct4 <= 1);
  assert.ok(a.judgeLossStdError > 0 && a.judgeLossStdError < 1, `standard error ${a.judgeLossStdError}`);
  // An untrained model at temperature 1 samples near-uniformly: its own loss is close to ln(vocab).
  assert.ok(Math.abs(a.selfLoss - Math.log(VOCAB)) < 0.5, `self loss ${a.selfLoss} vs ln ${VOCAB} = ${Math.log(VOCAB)}`);
  const shortJudge = withContextMetadata(buildGpt({ layers: 1, dim: 16, heads: 2, context: 4, vocabSize: VOCAB, seed: 2 }), 4);
  await assert.rejects(judgeSamples(student, shortJudge, options), /Context 8: the judge takes at most 4 tokens/);
});
