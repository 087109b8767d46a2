/**
 * Sampling from language models that follow the I/O convention (token ids int64 [batch, seq] in,
 * logits [batch, seq, vocab] out), below the method modules so that distillation can sample from a
 * student or a teacher (on-policy and sequence-level KD) as `retort generate` does (src/eval/generate.ts).
 *
 * Sampling follows the usual recipe (e.g. nanoGPT's sample.py): logits / temperature, the top k
 * kept (Fan et al. 2018, "Hierarchical Neural Story Generation"), softmax, one draw from a seeded
 * generator; temperature 0 is greedy decoding (argmax, the lowest id among ties).
 *
 * `sampleContinuations` continues many prompts at once, each new token drawn from the logits after
 * the window of the most recent `context` tokens. The logits come from a decoder (models/decoding.ts):
 * the KV-cached decode step when the model is a retort-built GPT (models/kvCacheDecoder.ts: the prompt
 * once, then one token per ORT call), else — or with `cache: false` — the whole window of all rows
 * re-run in one ORT call [rows, window] per token. Both give the same tokens for the same seed: the
 * sampling below, and each row's generator, do not depend on where the logits came from.
 */
import { languageModelIo, windowLength, type LanguageModelIo } from '../data/text/forLanguageModel.js';
import type { ModelProto } from '../onnx/proto.js';
import type { Session } from '../runtime/session.js';
import { RetortError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { windowDecoder, withDecoder, type NextTokenDecoder } from './decoding.js';
import type { KvCache } from './kvCacheDecoder.js';

export interface SamplingOptions {
  /** Divides the logits; 0 picks the most likely token (greedy). */
  temperature: number;
  /** Sample among the k most likely tokens only (ties toward lower ids); all when undefined. */
  topK?: number;
}

/** Index of the largest value; the lowest index among ties. */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

export function checkSampling(options: SamplingOptions): void {
  const { temperature, topK } = options;
  if (!(Number.isFinite(temperature) && temperature >= 0)) throw new RetortError('BAD_ARGUMENT', `Temperature ${temperature} must be a finite number >= 0 (0 is greedy)`);
  if (topK !== undefined && !(Number.isInteger(topK) && topK > 0)) throw new RetortError('BAD_ARGUMENT', `Top-k ${topK} must be a positive integer`);
}

/** One token id drawn from `logits` (one position's scores over the vocabulary). */
export function sampleNextToken(logits: ArrayLike<number>, options: SamplingOptions, rng: Rng): number {
  const { temperature, topK } = options;
  if (temperature === 0 || topK === 1) return argmax(logits);
  const ids = Array.from({ length: logits.length }, (_, i) => i);
  ids.sort((a, b) => logits[b]! - logits[a]! || a - b);
  const kept = topK === undefined ? ids : ids.slice(0, topK);
  const top = logits[kept[0]!]!;
  const weights = kept.map((id) => Math.exp((logits[id]! - top) / temperature));
  const total = weights.reduce((a, w) => a + w, 0);
  let u = rng.next() * total;
  for (let i = 0; i < kept.length; i++) {
    u -= weights[i]!;
    if (u < 0) return kept[i]!;
  }
  return kept[kept.length - 1]!; // rounding left u at ~0
}

export interface ContinuationOptions extends SamplingOptions {
  /** New tokens after each prompt. */
  newTokens: number;
  /** Row r draws from its own generator, seeded from (seed, r): a row does not depend on the others. */
  seed: number;
  /** Window length; default the model's context (its fixed sequence length or metadata `retort.context`). */
  context?: number;
  /** Sample only ids below this (a tokenizer smaller than the model's vocabulary); default all. */
  vocabSize?: number;
  /** Rows per ORT call; default all rows in one call. */
  batchSize?: number;
  threads?: number;
  /**
   * Use the KV-cached decode step when the model allows it (a retort-built GPT), else re-run the
   * window for every token; false always re-runs the window. Same tokens either way. Default true.
   */
  cache?: boolean;
}

/** A row's generator seed: a hash of (seed, row), so neighbouring rows get unrelated streams (mulberry32 seeds that differ by its increment would give shifted copies). */
export function rowSeed(seed: number, row: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x5bd1e995, 0x85ebca6b) ^ Math.imul(row + 1, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  return (h ^ (h >>> 15)) >>> 0;
}

/** How the loop samples, beyond the temperature and top-k. */
export interface SamplingLoop extends SamplingOptions {
  /** Sample only ids below this. */
  limit: number;
  /** Rows per decoder batch. */
  batchSize: number;
  /** Row r's generator. */
  rngs: readonly Rng[];
  /** Called with each new token as it is chosen. */
  onToken?: (row: number, id: number) => void;
}

/**
 * Completes `rows` ([count, length] row-major, the first `promptLength` tokens of each set) in place,
 * batch by batch, each token drawn from the decoder's logits by the row's own generator.
 */
export async function sampleRows(decoder: NextTokenDecoder, rows: Int32Array, promptLength: number, length: number, loop: SamplingLoop): Promise<void> {
  const count = rows.length / length;
  const { batchSize, limit, rngs } = loop;
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new RetortError('BAD_ARGUMENT', `Batch size ${batchSize} must be a positive integer`);
  for (let first = 0; first < count; first += batchSize) {
    const batch = Math.min(batchSize, count - first);
    const tokens = rows.subarray(first * length, (first + batch) * length);
    const step = decoder.begin(tokens, batch, length);
    for (let n = promptLength; n < length; n++) {
      const logitsOf = await step(n);
      for (let r = 0; r < batch; r++) {
        const logits = logitsOf(r);
        const id = sampleNextToken(logits.subarray(0, Math.min(logits.length, limit)), loop, rngs[first + r]!);
        tokens[r * length + n] = id;
        loop.onToken?.(first + r, id);
      }
    }
  }
}

/** The checked request: the prompts laid out as rows to complete, and how to sample them. */
interface Request {
  rows: Int32Array;
  length: number;
  context: number;
  loop: SamplingLoop;
}

function checkRequest(io: LanguageModelIo, prompts: Int32Array, promptLength: number, options: ContinuationOptions): Request {
  checkSampling(options);
  const { newTokens } = options;
  if (!(Number.isInteger(newTokens) && newTokens >= 0)) throw new RetortError('BAD_ARGUMENT', `Number of new tokens ${newTokens} must be a whole number >= 0`);
  if (!(Number.isInteger(promptLength) && promptLength > 0)) throw new RetortError('BAD_ARGUMENT', `Prompt length ${promptLength} must be a positive integer`);
  if (prompts.length % promptLength !== 0) throw new RetortError('BAD_ARGUMENT', `${prompts.length} prompt tokens are not whole prompts of ${promptLength}`);
  const count = prompts.length / promptLength;
  const context = windowLength(io, options.context ?? null);
  const limit = options.vocabSize ?? io.vocabSize ?? Infinity;
  for (let i = 0; i < prompts.length; i++) {
    if (!(prompts[i]! >= 0 && prompts[i]! < limit)) throw new RetortError('BAD_ARGUMENT', `Prompt ${Math.floor(i / promptLength)} token ${i % promptLength} is ${prompts[i]}, outside the vocabulary 0..${limit - 1}`);
  }
  const length = promptLength + newTokens;
  const rows = new Int32Array(count * length);
  for (let r = 0; r < count; r++) rows.set(prompts.subarray(r * promptLength, (r + 1) * promptLength), r * length);
  const rngs = Array.from({ length: count }, (_, r) => new Rng(rowSeed(options.seed, r)));
  return { rows, length, context, loop: { ...options, limit, batchSize: options.batchSize ?? Math.max(1, count), rngs } };
}

/**
 * `count` prompts of `promptLength` tokens each (row-major in `prompts`), each continued by
 * `options.newTokens` sampled tokens: [count, promptLength + newTokens], row-major. Runs on an open
 * session of a language model whose I/O is `io`, or on `kvCache` (the same model's decode step) when
 * one is given and `options.cache` is not false.
 */
export async function sampleContinuationsWith(session: Session, io: LanguageModelIo, prompts: Int32Array, promptLength: number, options: ContinuationOptions, kvCache?: KvCache): Promise<Int32Array> {
  const { rows, length, context, loop } = checkRequest(io, prompts, promptLength, options);
  const decoder = kvCache !== undefined && options.cache !== false ? kvCache.decoder(context) : windowDecoder(session, io, context);
  await sampleRows(decoder, rows, promptLength, length, loop);
  return rows;
}

/** `sampleContinuationsWith` on `model`, KV-cached when it allows (and `options.cache` is not false), with sessions opened for the call. */
export async function sampleContinuations(model: ModelProto, prompts: Int32Array, promptLength: number, options: ContinuationOptions): Promise<Int32Array> {
  const io = languageModelIo(model);
  const { rows, length, context, loop } = checkRequest(io, prompts, promptLength, options);
  await withDecoder(model, io, context, options, (decoder) => sampleRows(decoder, rows, promptLength, length, loop));
  return rows;
}
