/**
 * Batched sampling: each row is what single-prompt generation gives with that row's seed, whatever
 * the rows per ORT call; a window longer than the context is cropped to the most recent tokens.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withContextMetadata } from '../../src/data/text/forLanguageModel.js';
import { generateTokens } from '../../src/eval/generate.js';
import { buildGpt } from '../../src/models/gpt.js';
import { rowSeed, sampleContinuations } from '../../src/models/sampling.js';

const model = withContextMetadata(buildGpt({ layers: 1, dim: 16, heads: 2, context: 8, vocabSize: 20, seed: 4 }), 8);
// Three prompts of 3 tokens, row-major.
const prompts = Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);

test('row r of sampleContinuations is generateTokens with seed rowSeed(seed, r), for any rows per call; past the context the window slides', async () => {
  const options = { temperature: 1.5, newTokens: 10, seed: 21, threads: 1 };
  const together = await sampleContinuations(model, prompts, 3, options);
  const oneByOne = await sampleContinuations(model, prompts, 3, { ...options, batchSize: 1 });
  assert.deepEqual(Array.from(oneByOne), Array.from(together));
  assert.equal(together.length, 3 * 13);
  for (let r = 0; r < 3; r++) {
    // 3 + 10 tokens > context 8: both crop the window to the last 8 tokens.
    const single = await generateTokens(model, prompts.subarray(r * 3, r * 3 + 3), { temperature: 1.5, maxNewTokens: 10, seed: rowSeed(21, r), threads: 1 });
    assert.deepEqual(Array.from(together.subarray(r * 13, (r + 1) * 13)), Array.from(single.tokens), `row ${r}`);
  }
  const other = await sampleContinuations(model, prompts, 3, { ...options, seed: 22 });
  assert.notDeepEqual(Array.from(other), Array.from(together));
});

test('row seeds are unrelated streams; bad prompts are refused', async () => {
  assert.equal(new Set(Array.from({ length: 1000 }, (_, r) => rowSeed(5, r))).size, 1000);
  assert.notEqual(rowSeed(5, 0), rowSeed(6, 0));
  await assert.rejects(sampleContinuations(model, Int32Array.from([1, 2, 30]), 3, { temperature: 1, newTokens: 1, seed: 0 }), /outside the vocabulary/);
  await assert.rejects(sampleContinuations(model, Int32Array.from([1, 2, 3, 4]), 3, { temperature: 1, newTokens: 1, seed: 0 }), /not whole prompts/);
});
