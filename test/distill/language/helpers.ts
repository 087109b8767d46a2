/**
 * Tiny GPTs (1–2 layers, width 16–32, context 16) on the first 20,000 characters of Tiny
 * Shakespeare, for the language-model distillation tests: seconds, not minutes.
 */
import path from 'node:path';
import { loadTextFile } from '../../../src/data/text/corpus.js';
import { withContextMetadata } from '../../../src/data/text/forLanguageModel.js';
import { allocateWindows, gatherWindows, randomWindowStarts, type TokenWindows } from '../../../src/data/text/windows.js';
import { buildGpt } from '../../../src/models/gpt.js';
import { encodeModel } from '../../../src/onnx/model.js';
import type { ModelProto } from '../../../src/onnx/proto.js';
import { readFloat32, writeTensor } from '../../../src/onnx/tensor.js';
import { Session } from '../../../src/runtime/session.js';
import { int64Tensor } from '../../../src/runtime/tensors.js';
import type { LanguageModelData, TrainerConfig } from '../../../src/train/trainer.js';
import { Rng } from '../../../src/util/random.js';

export const CONTEXT = 16;
export const corpus = loadTextFile(path.resolve('../shared/data/tinyshakespeare.txt'), { tokenizer: 'char', limit: 20000 });
export const VOCAB = corpus.tokenizer.vocabSize;
export const data: LanguageModelData = { kind: 'languageModeling', train: corpus.train, validation: corpus.validation!, context: CONTEXT, stepsPerEpoch: 1000 };

export function tinyGpt(seed: number, options: { layers?: number; dim?: number } = {}): ModelProto {
  return withContextMetadata(buildGpt({ layers: options.layers ?? 1, dim: options.dim ?? 16, heads: 2, context: CONTEXT, vocabSize: VOCAB, seed }), CONTEXT);
}

/**
 * A random GPT whose head weights are multiplied by `factor`: peaked, context-dependent next-token
 * distributions, so a student has something to match (a fresh GPT is close to uniform).
 */
export function sharpTeacher(seed: number, factor = 40, options: { layers?: number; dim?: number } = {}): ModelProto {
  const model = tinyGpt(seed, options);
  const head = model.graph!.initializer.find((t) => t.name === 'head.weight')!;
  writeTensor(head, readFloat32(head).map((w) => w * factor));
  return model;
}

export function trainerConfig(overrides: Partial<TrainerConfig> = {}): Omit<TrainerConfig, 'loss'> {
  return { batchSize: 8, epochs: 1, seed: 3, progress: 'silent', threads: 1, optimizer: { kind: 'adam' }, schedule: { kind: 'constant', lr: 1e-2 }, ...overrides };
}

/** Fixed held-out windows (validation text) for measuring a divergence before and after training. */
export function heldOutWindows(count = 16, seed = 11): TokenWindows {
  const validation = corpus.validation!;
  return gatherWindows(validation, randomWindowStarts(new Rng(seed), count, validation, CONTEXT), allocateWindows(count, CONTEXT));
}

export async function logitsOf(model: ModelProto, windows: TokenWindows): Promise<Float32Array> {
  const session = await Session.create(encodeModel(model), { name: 'model', threads: 1 });
  try {
    const input = session.inputNames[0]!;
    return (await session.run({ [input]: int64Tensor(windows.inputs, [windows.count, windows.context]) }))[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.dispose();
  }
}

/** Mean over positions of KL(p || q) (forward: p teacher) or KL(q || p) (reverse), at T = 1, in float64. */
export function meanKl(teacherLogits: Float32Array, studentLogits: Float32Array, vocab: number, divergence: 'forward-kl' | 'reverse-kl'): number {
  const positions = teacherLogits.length / vocab;
  const logSoftmax = (row: Float32Array) => {
    let max = -Infinity;
    for (const v of row) max = Math.max(max, v);
    let sum = 0;
    for (const v of row) sum += Math.exp(v - max);
    const lse = max + Math.log(sum);
    return Array.from(row, (v) => v - lse);
  };
  let total = 0;
  for (let p = 0; p < positions; p++) {
    const lt = logSoftmax(teacherLogits.subarray(p * vocab, (p + 1) * vocab));
    const ls = logSoftmax(studentLogits.subarray(p * vocab, (p + 1) * vocab));
    const [a, b] = divergence === 'forward-kl' ? [lt, ls] : [ls, lt];
    for (let c = 0; c < vocab; c++) total += Math.exp(a[c]!) * (a[c]! - b[c]!);
  }
  return total / positions;
}
