/**
 * The KV-cached decode step of retort's GPT against the model itself: logits at every position
 * equal (max abs diff < 1e-4) whether the tokens come all at once, as a prefill and then one at a
 * time, or in uneven chunks — for an untied and a tied head and a structurally pruned model (heads
 * and MLP width removed, a block dropped). Models that are not exactly the builder's graph are
 * refused with the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { buildGpt, type GptOptions } from '../../src/models/gpt.js';
import { buildDecodeStep, pastKeyName, pastValueName, presentKeyName, presentValueName } from '../../src/models/transformer/decodeStep.js';
import { readGptShape, recogniseGpt } from '../../src/models/transformer/gptShape.js';
import type { GptShape } from '../../src/models/gpt.js';
import { decodeModel, encodeModel, loadModel } from '../../src/onnx/model.js';
import type { ModelProto } from '../../src/onnx/proto.js';
import { makeTensor } from '../../src/onnx/tensor.js';
import { pruneTransformer } from '../../src/prune/structured/index.js';
import { quantizeDynamic } from '../../src/quantize/dynamic.js';
import { quantizeWeightOnly } from '../../src/quantize/weightOnly.js';
import { restorePacked, withFloatStandIns } from '../../src/models/transformer/packedWeights.js';
import { Session, type Feeds } from '../../src/runtime/session.js';
import { floatTensor, int64Tensor } from '../../src/runtime/tensors.js';
import { Rng } from '../../src/util/random.js';
import { fixturesDir } from '../helpers/fixtures.js';

const SIZE = { layers: 3, dim: 16, heads: 4, context: 8, vocabSize: 11 } as const;
const gpt = (options: Partial<GptOptions> = {}): ModelProto => buildGpt({ ...SIZE, seed: 3, ...options });
const BATCH = 2;

/** `count` token ids per row, seeded. */
function tokens(count: number, seed = 5): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: BATCH * count }, () => rng.int(SIZE.vocabSize));
}

/** Run `model` on [BATCH, length] ids; logits [BATCH, length, vocab]. */
async function fullLogits(model: ModelProto, ids: number[], length: number): Promise<Float32Array> {
  const session = await Session.create(encodeModel(model), { name: 'full model' });
  try {
    return (await session.run({ input_ids: int64Tensor(ids, [BATCH, length]) }, ['logits'])).logits!.data as Float32Array;
  } finally {
    await session.dispose();
  }
}

/** The decode step fed `chunks` (token counts per call, summing to `length`); logits of every position, as the full model lays them out. */
async function decodedLogits(step: ModelProto, shape: GptShape, ids: number[], length: number, chunks: number[]): Promise<Float32Array> {
  const session = await Session.create(encodeModel(step), { name: 'decode step' });
  const vocab = shape.vocabSize;
  const out = new Float32Array(BATCH * length * vocab);
  let past: Feeds = {};
  shape.blocks.forEach(({ heads, headDim }, l) => {
    past[pastKeyName(l)] = floatTensor(new Float32Array(0), [BATCH, heads, 0, headDim]);
    past[pastValueName(l)] = floatTensor(new Float32Array(0), [BATCH, heads, 0, headDim]);
  });
  try {
    let start = 0;
    for (const width of chunks) {
      const chunk = Array.from({ length: BATCH * width }, (_, i) => ids[Math.floor(i / width) * length + start + (i % width)]!);
      const results = await session.run({ input_ids: int64Tensor(chunk, [BATCH, width]), ...past });
      const logits = results.logits!.data as Float32Array;
      for (let r = 0; r < BATCH; r++) out.set(logits.subarray(r * width * vocab, (r + 1) * width * vocab), (r * length + start) * vocab);
      start += width;
      past = {};
      shape.blocks.forEach(({ heads, headDim }, l) => {
        assert.deepEqual(results[presentKeyName(l)]!.dims, [BATCH, heads, start, headDim]);
        past[pastKeyName(l)] = results[presentKeyName(l)]!;
        past[pastValueName(l)] = results[presentValueName(l)]!;
      });
    }
    return out;
  } finally {
    await session.dispose();
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** Checks the decode step against the model; a quantized model's step is built through float stand-ins (packedWeights.ts), as KvCache does. */
async function checkDecodeStep(name: string, model: ModelProto): Promise<GptShape> {
  const { model: view, packed } = withFloatStandIns(model);
  const recognised = recogniseGpt(view);
  assert.ok('shape' in recognised, `${name}: ${'reason' in recognised ? recognised.reason : ''}`);
  const { shape } = recognised;
  const step = restorePacked(buildDecodeStep(view, shape), packed);
  const nBits = (m: ModelProto) => m.graph!.node.filter((n) => n.opType === 'MatMulNBits').length;
  assert.equal(nBits(step), nBits(model), `${name}: the step keeps every MatMulNBits`);
  const length = SIZE.context;
  const ids = tokens(length);
  const full = await fullLogits(model, ids, length);
  for (const chunks of [[length], [3, 1, 1, 1, 1, 1], [1, 2, 5]]) {
    const diff = maxAbsDiff(await decodedLogits(step, shape, ids, length, chunks), full);
    assert.ok(diff < 1e-4, `${name}, chunks ${chunks.join('+')}: max |decode step - model| = ${diff}`);
  }
  return shape;
}

test('decode step = the model at every position: untied and tied heads, prefill then one token at a time', async () => {
  const untied = await checkDecodeStep('untied', gpt());
  assert.deepEqual(untied, readGptShape(gpt()));
  assert.deepEqual(untied.blocks, [0, 1, 2].map((index) => ({ index, heads: 4, headDim: 4, mlpWidth: 64 })));
  assert.equal(untied.tiedHead, false);
  const tied = await checkDecodeStep('tied', gpt({ tiedHead: true }));
  assert.equal(tied.tiedHead, true);
  // A model built with dropout (the identity at inference) is still the builder's graph.
  await checkDecodeStep('dropout', gpt({ dropout: 0.1 }));
});

test('decode step of a structurally pruned GPT: sizes read from the weights (2 of 4 heads, half the MLP, block 1 dropped)', async () => {
  const { model } = await pruneTransformer(gpt(), {
    importance: { kind: 'weight', norm: 'l2' },
    heads: { kind: 'perLayer', keep: 2 },
    mlpKeep: 0.5,
    layers: { kind: 'indices', layers: [1] },
  });
  const shape = await checkDecodeStep('pruned', model);
  assert.deepEqual(shape.blocks, [0, 2].map((index) => ({ index, heads: 2, headDim: 4, mlpWidth: 32 })));
});

test('decode step of a weight-only quantized GPT (MatMulNBits, 4-bit symmetric and 8-bit with zero points) = the quantized model', async () => {
  // Width 32: MatMulNBits blocks are 32 or more inputs long.
  const float = gpt({ dim: 32 });
  const length = SIZE.context;
  const ids = tokens(length);
  for (const [bits, symmetric] of [[4, true], [8, false]] as const) {
    const { model, quantizedNodes } = await quantizeWeightOnly(float, { method: 'weight-only', bits, blockSize: 32, symmetric, algorithm: { kind: 'rtn' } });
    assert.equal(quantizedNodes.length, 3 * 6 + 1, 'q, k, v, out, fc1, fc2 of 3 blocks and the head');
    assert.ok(!('shape' in recogniseGpt(model)), 'not the float builder\'s graph as it is');
    assert.deepEqual(await checkDecodeStep(`${bits}-bit`, model), readGptShape(float));
    // The step runs the quantized weights, not the float ones (which differ by more than the tolerance).
    assert.ok(maxAbsDiff(await fullLogits(model, ids, length), await fullLogits(float, ids, length)) > 1e-3);
  }
});

test('models that are not the builder\'s graph are refused with the reason', async () => {
  const reason = (model: ModelProto): string => {
    const recognised = recogniseGpt(model);
    assert.ok('reason' in recognised, 'expected a refusal');
    return recognised.reason;
  };
  assert.match(reason(loadModel(path.join(fixturesDir, 'gpt_tiny.onnx'))), /opset 13/);
  // A changed constant: the masking score.
  const edited = decodeModel(encodeModel(gpt()));
  const at = edited.graph!.initializer.findIndex((t) => t.name === 'blocks.1.attn.masked_score');
  edited.graph!.initializer[at] = makeTensor('blocks.1.attn.masked_score', [], Float32Array.of(-1));
  assert.match(reason(edited), /initializer "blocks\.1\.attn\.masked_score" differs/);
  // A changed attribute.
  const otherAxis = decodeModel(encodeModel(gpt()));
  otherAxis.graph!.node.find((n) => n.name === 'blocks.0.attn.probs')!.attribute[0]!.i = 2;
  assert.match(reason(otherAxis), /node "blocks\.0\.attn\.probs"/);
  // Dynamic int8 quantization: MatMuls become DynamicQuantizeMatMul with integer weights.
  const quantized = quantizeDynamic(gpt(), { method: 'dynamic', weights: { symmetric: true, granularity: 'per-tensor' } }).model;
  assert.match(reason(quantized), /blocks\.0/);
  // A weight missing.
  const missing = decodeModel(encodeModel(gpt()));
  missing.graph!.initializer = missing.graph!.initializer.filter((t) => t.name !== 'blocks.2.mlp.fc1.weight');
  assert.match(reason(missing), /no initializer "blocks\.2\.mlp\.fc1\.weight"/);
});
