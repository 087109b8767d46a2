/**
 * Generation from language models following the I/O convention: gpt_tiny (PyTorch export, fixed
 * length 32) and a retort-built GPT (dynamic length up to its context).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { CONTEXT_METADATA_KEY } from '../../src/data/text/forLanguageModel.js';
import { argmax, generateTokens, sampleNextToken } from '../../src/eval/generate.js';
import { buildArchitecture } from '../../src/models/spec.js';
import { encodeModel, loadModel } from '../../src/onnx/model.js';
import type { ModelProto } from '../../src/onnx/proto.js';
import { Session } from '../../src/runtime/session.js';
import { int64Tensor } from '../../src/runtime/tensors.js';
import { Rng } from '../../src/util/random.js';
import { fixturesDir } from '../helpers/fixtures.js';

const gptTiny = loadModel(path.join(fixturesDir, 'gpt_tiny.onnx'));
const prompt = [18, 27, 25, 17, 27, 10]; // any ids below 65

/** The model's logits at `position` for `ids` (zero-padded to `length`), by running it directly. */
async function logitsAt(model: ModelProto, ids: number[], position: number, length = ids.length): Promise<Float32Array> {
  const session = await Session.create(encodeModel(model), { name: 'reference' });
  try {
    const feed = new BigInt64Array(length);
    ids.forEach((t, i) => (feed[i] = BigInt(t)));
    const input = session.inputNames[0]!;
    const logits = (await session.run({ [input]: int64Tensor(feed, [1, length]) }))[session.outputNames[0]!]!.data as Float32Array;
    const vocab = logits.length / length;
    return logits.slice(position * vocab, (position + 1) * vocab);
  } finally {
    await session.dispose();
  }
}

/** The logits at the window's last token. */
const lastLogits = (model: ModelProto, window: number[], length = window.length) => logitsAt(model, window, window.length - 1, length);

test('sampling: greedy is argmax (lowest id among ties), top-k keeps only the k best, draws follow softmax(logits / T)', () => {
  const logits = [0.5, 2, -1, 2, 1];
  assert.equal(argmax(logits), 1);
  assert.equal(sampleNextToken(logits, { temperature: 0 }, new Rng(0)), 1);
  assert.equal(sampleNextToken(logits, { temperature: 5, topK: 1 }, new Rng(0)), 1);
  const rng = new Rng(3);
  const counts = [0, 0, 0, 0, 0];
  const draws = 20000;
  for (let i = 0; i < draws; i++) counts[sampleNextToken(logits, { temperature: 1, topK: 3 }, rng)]!++;
  assert.equal(counts[0]! + counts[2]!, 0, 'tokens outside the top 3 are never drawn');
  // Top 3 = ids 1, 3 (logit 2) and 4 (logit 1): probabilities e / (2e + 1), e / (2e + 1), 1 / (2e + 1).
  const z = 2 * Math.E + 1;
  assert.ok(Math.abs(counts[1]! / draws - Math.E / z) < 0.015 && Math.abs(counts[4]! / draws - 1 / z) < 0.015, JSON.stringify(counts));
  // A low temperature concentrates the draws on the best tokens.
  const cold = [0, 0, 0, 0, 0];
  for (let i = 0; i < 2000; i++) cold[sampleNextToken(logits, { temperature: 0.1 }, rng)]!++;
  assert.equal(cold[1]! + cold[3]!, 2000);
});

test('bad sampling options are refused before any work', async () => {
  await assert.rejects(generateTokens(gptTiny, prompt, { maxNewTokens: 1, seed: 0, temperature: -1 }), { code: 'BAD_ARGUMENT', message: /Temperature -1/ });
  await assert.rejects(generateTokens(gptTiny, prompt, { maxNewTokens: 1, seed: 0, temperature: 1, topK: 0 }), { code: 'BAD_ARGUMENT', message: /Top-k 0/ });
  await assert.rejects(generateTokens(gptTiny, [], { maxNewTokens: 1, seed: 0, temperature: 1 }), { code: 'BAD_ARGUMENT', message: /prompt/ });
});

test('right padding does not change a causal model\'s logits at earlier positions (the fixed-length path)', async () => {
  const window = [5, 9, 13, 2, 40];
  for (let position = 0; position < window.length; position++) {
    const zeros = await logitsAt(gptTiny, window, position, 32);
    const other = await logitsAt(gptTiny, [...window, ...Array<number>(27).fill(64)], position, 32);
    assert.deepEqual(zeros, other, `position ${position}`);
  }
  // ...while the padded positions themselves do see the padding (so the test can tell).
  assert.notDeepEqual(await logitsAt(gptTiny, window, 5, 32), await logitsAt(gptTiny, [...window, 64], 5, 32));
});

test('gpt_tiny: greedy generation is the argmax of the model\'s own logits, token by token; top-k 1 equals greedy', async () => {
  const greedy = await generateTokens(gptTiny, prompt, { maxNewTokens: 6, seed: 0, temperature: 0 });
  assert.equal(greedy.context, 32);
  assert.deepEqual([...greedy.tokens.subarray(0, prompt.length)], prompt);
  const tokens = [...prompt];
  for (let i = 0; i < 6; i++) tokens.push(argmax(await lastLogits(gptTiny, tokens, 32)));
  assert.deepEqual([...greedy.tokens], tokens);
  const topOne = await generateTokens(gptTiny, prompt, { maxNewTokens: 6, seed: 9, temperature: 0.7, topK: 1 });
  assert.deepEqual([...topOne.tokens], tokens);
});

test('sampling with a seed is deterministic; another seed gives other text', async () => {
  const options = { maxNewTokens: 40, temperature: 1, topK: 20 };
  const a = await generateTokens(gptTiny, prompt, { ...options, seed: 1 });
  const b = await generateTokens(gptTiny, prompt, { ...options, seed: 1 });
  const c = await generateTokens(gptTiny, prompt, { ...options, seed: 2 });
  assert.deepEqual(a.tokens, b.tokens);
  assert.notDeepEqual(a.tokens, c.tokens);
  assert.ok(a.newTokens.every((t) => t >= 0 && t < 65));
  // A tokenizer smaller than the model's vocabulary restricts the draws to its ids.
  const small = await generateTokens(gptTiny, [1, 2, 3], { ...options, seed: 1, vocabSize: 10 });
  assert.ok(small.newTokens.every((t) => t < 10));
});

test('a dynamic-length GPT: the window grows to the context, then slides (crop to the last context tokens)', async () => {
  const model = buildArchitecture('gpt:layers=1,dim=16,heads=2,context=8,vocab=11', { seed: 4 });
  await assert.rejects(generateTokens(model, [1], { maxNewTokens: 1, seed: 0, temperature: 0 }), { code: 'BAD_ARGUMENT', message: /context/ });
  const greedy = await generateTokens(model, [1, 2, 3], { maxNewTokens: 9, seed: 0, temperature: 0, context: 8 });
  const tokens = [1, 2, 3];
  for (let i = 0; i < 9; i++) tokens.push(argmax(await lastLogits(model, tokens.slice(-8))));
  assert.deepEqual([...greedy.tokens], tokens);
  // The context stated in the metadata is the default window.
  const stated: ModelProto = { ...model, metadataProps: [{ key: CONTEXT_METADATA_KEY, value: '8' }] };
  assert.deepEqual([...(await generateTokens(stated, [1, 2, 3], { maxNewTokens: 9, seed: 0, temperature: 0 })).tokens], tokens);
  await assert.rejects(generateTokens(stated, [1], { maxNewTokens: 1, seed: 0, temperature: 0, context: 9 }), { code: 'BAD_ARGUMENT', message: /at most 8/ });
  await assert.rejects(generateTokens(model, [11], { maxNewTokens: 1, seed: 0, temperature: 0, context: 8 }), { code: 'BAD_ARGUMENT', message: /outside the vocabulary/ });
});
