/**
 * Importance of heads, MLP units and layers: activation statistics on calibration windows find a head
 * that outputs nothing, a neuron that never fires and a block that leaves the residual stream as it
 * is; weight norms find a head with zero weights; and the pruned models train.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { loadTextFile, tokenSequence } from '../../../src/data/text/corpus.js';
import type { ModelProto } from '../../../src/onnx/proto.js';
import { pruneTransformer, tokenCalibrationBatches, type TransformerImportance } from '../../../src/prune/structured/index.js';
import { Trainer, type LanguageModelData, type TrainerConfig } from '../../../src/train/trainer.js';
import { maxAbsDiff, runFirstOutput } from './helpers.js';
import { editParameter, GPT, headUnits, loadGptTiny, tinyGpt, tokenFeeds, zeroAlong } from './transformerHelpers.js';

/** A token stream with structure to learn: the next id is the previous plus one or two, mod vocab. */
function syntheticTokens(length: number, vocab: number): Int32Array {
  const tokens = new Int32Array(length);
  for (let i = 1; i < length; i++) tokens[i] = (tokens[i - 1]! + 1 + (i % 3 === 0 ? 1 : 0)) % vocab;
  return tokens;
}

const sequence = tokenSequence('synthetic', syntheticTokens(4000, GPT.vocabSize), GPT.vocabSize);
const activation = (model: ModelProto): TransformerImportance => ({
  kind: 'activation',
  batches: tokenCalibrationBatches(model, sequence, { context: GPT.context, windows: 32, batchSize: 8, seed: 0 }),
});

test('activation importance: a head whose values are zero is the one removed, and removing it changes nothing', async () => {
  // Head 2 of block 0 reads v = 0 (its v columns zero, v bias 0 at init): its attention output is 0.
  const model = zeroAlong(tinyGpt(), 'blocks.0.attn.v.weight', 1, headUnits([2], GPT.dim / GPT.heads));
  const result = await pruneTransformer(model, { importance: activation(model), heads: { kind: 'perLayer', keep: 3 } });
  assert.deepEqual(result.layers[0]!.keptHeads, [0, 1, 3]);
  assert.equal(result.layers[0]!.headImportance[2], 0);
  assert.ok(result.layers[0]!.headImportance.every((s, h) => h === 2 || s > 0));
  const feeds = tokenFeeds(model, 2, 8, GPT.vocabSize);
  // Block 0 loses nothing; blocks 1 and 2 lose a head each, so compare only the dead head: prune block 0 alone.
  const alone = await pruneTransformer(model, { importance: activation(model), heads: { kind: 'fraction', keep: 11 / 12, scope: 'global' } });
  assert.deepEqual(alone.layers.map((l) => l.keptHeads.length), [3, 4, 4]);
  assert.ok(maxAbsDiff((await runFirstOutput(model, feeds)).data, (await runFirstOutput(alone.model, feeds)).data) < 1e-5);
});

test('activation importance: a neuron that never fires goes first; a block that changes nothing is dropped first', async () => {
  // Neuron 5 of block 1: fc1 column 5 zero and bias -20, so GELU gives exactly 0.
  let model = zeroAlong(tinyGpt(), 'blocks.1.mlp.fc1.weight', 1, [5]);
  model = editParameter(model, 'blocks.1.mlp.fc1.bias', (values) => {
    values[5] = -20;
  });
  const mlp = await pruneTransformer(model, { importance: activation(model), mlpKeep: 63 / 64 });
  assert.equal(mlp.layers[1]!.mlpKeptUnits[0]!.includes(5), false);
  assert.equal(mlp.layers[1]!.mlpKeptUnits[0]!.length, 63);
  // Block 1 writes nothing into the residual stream: its attention and MLP output projections are zero.
  let identity = tinyGpt();
  for (const p of ['blocks.1.attn.out.weight', 'blocks.1.mlp.fc2.weight']) identity = zeroAlong(identity, p, 0, [...Array(64).keys()]);
  const layers = await pruneTransformer(identity, { importance: activation(identity), layers: { kind: 'count', count: 1 } });
  assert.deepEqual(layers.layers.map((l) => l.dropped), [false, true, false]);
  assert.ok(Math.abs(layers.layers[1]!.blockImportance!) < 1e-6, `block influence ${layers.layers[1]!.blockImportance}`);
  assert.ok(layers.layers[0]!.blockImportance! > 1e-4 && layers.layers[2]!.blockImportance! > 1e-4);
  const feeds = tokenFeeds(identity, 2, 8, GPT.vocabSize);
  assert.ok(maxAbsDiff((await runFirstOutput(identity, feeds)).data, (await runFirstOutput(layers.model, feeds)).data) < 1e-5);
});

test('weight importance: the head with zero q, k, v weights has norm 0 and is removed', async () => {
  const d = GPT.dim / GPT.heads;
  let model = tinyGpt();
  for (const p of ['q', 'k', 'v']) model = zeroAlong(model, `blocks.1.attn.${p}.weight`, 1, headUnits([1], d));
  const result = await pruneTransformer(model, { importance: { kind: 'weight', norm: 'l1' }, heads: { kind: 'perLayer', keep: 3 } });
  assert.equal(result.layers[1]!.headImportance[1], 0);
  assert.deepEqual(result.layers[1]!.keptHeads, [0, 2, 3]);
});

const trainConfig: TrainerConfig = { batchSize: 8, epochs: 1, seed: 1, progress: 'silent', threads: 1, optimizer: { kind: 'adamw' }, schedule: { kind: 'constant', lr: 1e-2 }, clipGlobalNorm: 1 };

async function trainSteps(model: ModelProto, data: LanguageModelData): Promise<{ first: number; last: number; model: ModelProto }> {
  const trainer = await Trainer.create(model, trainConfig, data);
  try {
    const before = await trainer.evaluate(data.validation!);
    const result = await trainer.fit();
    return { first: before.loss, last: result.history.at(-1)!.validation!.loss, model: result.model };
  } finally {
    await trainer.dispose();
  }
}

test('pruned models train: retort GPT (heads, MLP width, a layer) and gpt_tiny (heads)', async () => {
  const model = tinyGpt();
  const pruned = await pruneTransformer(model, { importance: activation(model), heads: { kind: 'perLayer', keep: 2 }, mlpKeep: 0.5, layers: { kind: 'count', count: 1 } });
  const validation = tokenSequence('synthetic-validation', sequence.tokens.subarray(3000), GPT.vocabSize);
  const gpt = await trainSteps(pruned.model, { kind: 'languageModeling', train: tokenSequence('train', sequence.tokens.subarray(0, 3000), GPT.vocabSize), validation, context: GPT.context, stepsPerEpoch: 30 });
  assert.ok(gpt.last < gpt.first - 0.5, `retort GPT validation loss ${gpt.first} -> ${gpt.last}`);

  const fixture = loadGptTiny();
  const corpus = loadTextFile(path.resolve('../shared/data/tinyshakespeare.txt'), { tokenizer: 'char', limit: 60_000 });
  const prunedFixture = await pruneTransformer(fixture, {
    importance: { kind: 'activation', batches: tokenCalibrationBatches(fixture, corpus.train, { context: 32, windows: 16, batchSize: 8, seed: 0 }) },
    heads: { kind: 'perLayer', keep: 2 },
  });
  const head = (n: number) => tokenSequence('validation', corpus.validation!.tokens.subarray(0, n), 65);
  const torch = await trainSteps(prunedFixture.model, { kind: 'languageModeling', train: corpus.train, validation: head(16 * 32 + 1), context: 32, stepsPerEpoch: 20 });
  assert.ok(torch.last < torch.first - 0.3, `gpt_tiny validation loss ${torch.first} -> ${torch.last}`);
});
