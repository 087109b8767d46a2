/**
 * KV-cached sampling gives the cache-free path's tokens, token for token: seeded sampling with a
 * temperature and top-k, greedy, several rows per call or one, a run that outgrows the context (the
 * window slides and the cached path re-prefills it every step) and a prompt longer than the context.
 * A 4-bit weight-only model takes the cached path too; a model the decode step cannot be built for
 * (the PyTorch-exported gpt_tiny) falls back and works.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { withContextMetadata } from '../../src/data/text/forLanguageModel.js';
import { generateTokens } from '../../src/eval/generate.js';
import { buildGpt } from '../../src/models/gpt.js';
import { sampleContinuations, type ContinuationOptions } from '../../src/models/sampling.js';
import { recogniseGpt } from '../../src/models/transformer/gptShape.js';
import { loadModel } from '../../src/onnx/model.js';
import { quantizeWeightOnly } from '../../src/quantize/weightOnly.js';
import { fixturesDir } from '../helpers/fixtures.js';

const CONTEXT = 8;
const untied = withContextMetadata(buildGpt({ layers: 2, dim: 16, heads: 2, context: CONTEXT, vocabSize: 20, seed: 7 }), CONTEXT);
const tied = withContextMetadata(buildGpt({ layers: 1, dim: 16, heads: 4, context: CONTEXT, vocabSize: 20, tiedHead: true, seed: 8 }), CONTEXT);
// Four prompts of 3 tokens, row-major.
const prompts = Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);

async function bothWays(model: typeof untied, promptLength: number, options: ContinuationOptions): Promise<[number[], number[]]> {
  const cached = await sampleContinuations(model, prompts, promptLength, { ...options, cache: true });
  const windowed = await sampleContinuations(model, prompts, promptLength, { ...options, cache: false });
  return [Array.from(cached), Array.from(windowed)];
}

test('seeded top-k sampling and greedy: cached tokens = cache-free tokens, within and past the context', async () => {
  for (const model of [untied, tied]) assert.ok('shape' in recogniseGpt(model), 'both models take the cached path');
  for (const [name, model] of [['untied', untied], ['tied', tied]] as const) {
    // 3 + 4 tokens stay within the context; 3 + 12 outgrow it (the window slides for the last 7 steps).
    for (const newTokens of [4, 12]) {
      for (const batchSize of [4, 3, 1]) {
        const sampled = { temperature: 1.3, topK: 12, newTokens, seed: 17, batchSize, threads: 1 };
        const [cached, windowed] = await bothWays(model, 3, sampled);
        assert.deepEqual(cached, windowed, `${name}: ${newTokens} new tokens, ${batchSize} rows per call`);
        assert.equal(cached.length, 4 * (3 + newTokens));
      }
      const [greedyCached, greedyWindowed] = await bothWays(model, 3, { temperature: 0, newTokens, seed: 0, threads: 1 });
      assert.deepEqual(greedyCached, greedyWindowed, `${name}: greedy, ${newTokens} new tokens`);
    }
  }
  // Another seed gives other tokens (the comparison could tell them apart).
  const [a] = await bothWays(untied, 3, { temperature: 1.3, topK: 12, newTokens: 12, seed: 17, threads: 1 });
  const [b] = await bothWays(untied, 3, { temperature: 1.3, topK: 12, newTokens: 12, seed: 18, threads: 1 });
  assert.notDeepEqual(a, b);
});

test('a prompt longer than the context slides from the first step; a shorter context than the model\'s is honoured', async () => {
  const [cached, windowed] = await bothWays(untied, 12, { temperature: 0.9, newTokens: 5, seed: 3, threads: 1 });
  assert.deepEqual(cached, windowed);
  const [short, shortWindowed] = await bothWays(untied, 3, { temperature: 0.9, newTokens: 6, seed: 3, context: 5, threads: 1 });
  assert.deepEqual(short, shortWindowed);
});

test('generateTokens: the KV cache by default on a retort GPT, the same text with cache false', async () => {
  const options = { maxNewTokens: 14, temperature: 1, topK: 8, seed: 4, threads: 1 };
  const cached = await generateTokens(untied, [3, 1, 4], options);
  const windowed = await generateTokens(untied, [3, 1, 4], { ...options, cache: false });
  assert.equal(cached.kvCache, true);
  assert.equal(windowed.kvCache, false);
  assert.equal(windowed.kvCacheUnavailable, undefined);
  assert.deepEqual(Array.from(cached.tokens), Array.from(windowed.tokens));
  const streamed: number[] = [];
  await generateTokens(untied, [3, 1, 4], { ...options, onToken: (id) => streamed.push(id) });
  assert.deepEqual(streamed, Array.from(cached.newTokens));
});

test('a model the decode step cannot be built for (PyTorch-exported gpt_tiny) falls back to the window and says why', async () => {
  const gptTiny = loadModel(path.join(fixturesDir, 'gpt_tiny.onnx'));
  const options = { maxNewTokens: 6, temperature: 0.8, topK: 10, seed: 2, threads: 1 };
  const fallback = await generateTokens(gptTiny, [18, 27, 25], options);
  assert.equal(fallback.kvCache, false);
  assert.match(fallback.kvCacheUnavailable ?? '', /not a retort GPT/);
  assert.deepEqual(Array.from(fallback.tokens), Array.from((await generateTokens(gptTiny, [18, 27, 25], { ...options, cache: false })).tokens));
  const rows = await sampleContinuations(gptTiny, Int32Array.from([18, 27, 25, 17]), 2, { temperature: 0.8, newTokens: 4, seed: 2, threads: 1 });
  assert.deepEqual(Array.from(rows), Array.from(await sampleContinuations(gptTiny, Int32Array.from([18, 27, 25, 17]), 2, { temperature: 0.8, newTokens: 4, seed: 2, threads: 1, cache: false })));
});

test('a 4-bit weight-only GPT (MatMulNBits) samples through the KV cache: the cache-free tokens', async () => {
  const float = withContextMetadata(buildGpt({ layers: 2, dim: 32, heads: 2, context: CONTEXT, vocabSize: 20, seed: 9 }), CONTEXT);
  const { model } = await quantizeWeightOnly(float, { method: 'weight-only', bits: 4, blockSize: 32, symmetric: true, algorithm: { kind: 'rtn' } });
  const options = { maxNewTokens: 12, temperature: 1.1, topK: 10, seed: 5, threads: 1 };
  const cached = await generateTokens(model, [3, 1, 4], options);
  assert.equal(cached.kvCache, true, cached.kvCacheUnavailable);
  assert.deepEqual(Array.from(cached.tokens), Array.from((await generateTokens(model, [3, 1, 4], { ...options, cache: false })).tokens));
  const [rows, windowed] = await bothWays(model, 3, { temperature: 0.9, newTokens: 10, seed: 6, batchSize: 3, threads: 1 });
  assert.deepEqual(rows, windowed);
});
