/**
 * Sequence-level KD: the teacher's corpus is deterministic given the seed (and does not depend on how
 * rows are batched), starts each sequence with real text, and the student trains on windows of it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocateWindows } from '../../../src/data/text/windows.js';
import { generateTeacherCorpus, sequenceKdData } from '../../../src/distill/language/sequenceKd.js';
import { poolWindowsAt, sequencePool } from '../../../src/distill/language/sequencePool.js';
import { Trainer } from '../../../src/train/trainer.js';
import { corpus, CONTEXT, data, sharpTeacher, trainerConfig } from './helpers.js';

const teacher = sharpTeacher(1, 10);
const options = { tokens: 300, prompts: corpus.train, promptLength: 4, temperature: 1, topK: 20, seed: 7, threads: 1 };

test('the teacher corpus: same seed, same text (whatever the batch size); another seed, other text', async () => {
  const first = await generateTeacherCorpus(teacher, { ...options, batchSize: 8 });
  const again = await generateTeacherCorpus(teacher, { ...options, batchSize: 3 });
  const other = await generateTeacherCorpus(teacher, { ...options, seed: 8, batchSize: 8 });
  assert.equal(first.length, CONTEXT + 1);
  // 300 sampled tokens at 13 per sequence: 24 sequences.
  assert.equal(first.count, Math.ceil(300 / (CONTEXT + 1 - 4)));
  assert.equal(first.sampledTokens, first.count * (CONTEXT + 1 - 4));
  assert.deepEqual(Array.from(again.sequences), Array.from(first.sequences));
  assert.notDeepEqual(Array.from(other.sequences), Array.from(first.sequences));
  // Each sequence starts with 4 characters of the training text; all ids are in the vocabulary.
  const text = corpus.tokenizer.decode(corpus.train.tokens);
  for (let r = 0; r < first.count; r++) {
    const prompt = corpus.tokenizer.decode(first.sequences.subarray(r * first.length, r * first.length + 4));
    assert.ok(text.includes(prompt), `prompt ${JSON.stringify(prompt)} is not training text`);
  }
  assert.ok(first.sequences.every((id) => id >= 0 && id < corpus.tokenizer.vocabSize));
});

test('pool windows: each row one sequence (distinct within a step), labels the inputs shifted by one, seeded by step', () => {
  const count = 6;
  const sequences = Int32Array.from({ length: count * (CONTEXT + 1) }, (_, i) => i); // ids name their place
  const pool = sequencePool(sequences, CONTEXT + 1, sequences.length);
  const buffer = allocateWindows(4, CONTEXT);
  const windows = poolWindowsAt(pool, 5, 0, buffer);
  const rows = new Set<number>();
  for (let w = 0; w < 4; w++) {
    const inputs = Array.from(windows.inputs.subarray(w * CONTEXT, (w + 1) * CONTEXT), Number);
    const labels = Array.from(windows.labels.subarray(w * CONTEXT, (w + 1) * CONTEXT), Number);
    const row = Math.floor(inputs[0]! / (CONTEXT + 1));
    // A whole sequence (length context + 1 leaves one place to start).
    assert.deepEqual(inputs, Array.from(sequences.subarray(row * (CONTEXT + 1), row * (CONTEXT + 1) + CONTEXT)));
    assert.deepEqual(labels, Array.from(sequences.subarray(row * (CONTEXT + 1) + 1, (row + 1) * (CONTEXT + 1))));
    rows.add(row);
  }
  assert.equal(rows.size, 4, 'rows of one step are distinct');
  const again = Array.from(poolWindowsAt(pool, 5, 0, allocateWindows(4, CONTEXT)).inputs);
  assert.deepEqual(again, Array.from(windows.inputs));
  assert.notDeepEqual(Array.from(poolWindowsAt(pool, 5, 1, allocateWindows(4, CONTEXT)).inputs), again);
});

test('a student trained with plain cross-entropy on the teacher text learns it: far below uniform there, not on real text', async () => {
  // Greedy decoding (beam size 1) gives low-entropy text a small student can fit in 40 steps.
  const teacherText = await generateTeacherCorpus(teacher, { ...options, temperature: 0, tokens: 2000, batchSize: 32 });
  const student = sharpTeacher(4, 1);
  const seqData = sequenceKdData(data, teacherText, 9);
  const trainer = await Trainer.create(student, { ...trainerConfig({ maxSteps: 40 }) }, seqData);
  try {
    const result = await trainer.fit();
    assert.equal(result.steps, 40);
    // The teacher's text is far more predictable than Shakespeare for a student that has seen it.
    const onTeacherText = await trainer.evaluate(seqData.train);
    const onRealText = await trainer.evaluate(corpus.validation!);
    assert.ok(onTeacherText.loss < onRealText.loss, `loss on teacher text ${onTeacherText.loss}, on real text ${onRealText.loss}`);
    assert.ok(onTeacherText.loss < Math.log(65) - 0.6, `loss on teacher text ${onTeacherText.loss}: no better than uniform`);
  } finally {
    await trainer.dispose();
  }
});
