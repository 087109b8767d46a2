/**
 * Language-model batches: contiguous windows of `context + 1` tokens, the first `context` the
 * model's input and the last `context` (the same tokens shifted by one) the next-token labels at
 * every position. Training draws window starts uniformly at random (nanoGPT's get_batch);
 * evaluation walks the sequence in non-overlapping windows so each token is scored once.
 *
 * An epoch of random windows is `stepsPerEpoch` batches, by default as many as hold the training
 * tokens once: floor(tokens / (batch * context)), at least 1 — "an epoch" then sees about as many
 * tokens as the training split has, in random places.
 */
import { RetortError } from '../../util/errors.js';
import type { Rng } from '../../util/random.js';
import type { TokenSequence } from './corpus.js';

/** A batch of windows, int64 as ONNX token inputs take them; [count, context] each, row-major. */
export interface TokenWindows {
  inputs: BigInt64Array;
  labels: BigInt64Array;
  count: number;
  context: number;
}

export function allocateWindows(capacity: number, context: number): TokenWindows {
  return { inputs: new BigInt64Array(capacity * context), labels: new BigInt64Array(capacity * context), count: capacity, context };
}

/** How many window starts fit (length - context), or a DATA_INVALID error when not one window does. */
export function windowSpan(sequence: Pick<TokenSequence, 'name' | 'length'>, context: number): number {
  if (!(Number.isInteger(context) && context > 0)) throw new RetortError('BAD_ARGUMENT', `Context length must be a positive integer, got ${context}`);
  const span = sequence.length - context;
  if (span < 1) throw new RetortError('DATA_INVALID', `"${sequence.name}" holds ${sequence.length} tokens, fewer than one window of context ${context} + 1`);
  return span;
}

/** `count` window starts drawn uniformly from [0, length - context - 1]. */
export function randomWindowStarts(rng: Rng, count: number, sequence: Pick<TokenSequence, 'name' | 'length'>, context: number): Uint32Array {
  const span = windowSpan(sequence, context);
  const starts = new Uint32Array(count);
  for (let i = 0; i < count; i++) starts[i] = rng.int(span);
  return starts;
}

/** Starts 0, context, 2 context, ... of every whole window: each token but the first is a label once. */
export function sequentialWindowStarts(sequence: Pick<TokenSequence, 'name' | 'length'>, context: number): Uint32Array {
  windowSpan(sequence, context);
  const count = Math.floor((sequence.length - 1) / context);
  return Uint32Array.from({ length: count }, (_, i) => i * context);
}

/**
 * The windows at `starts` written into `buffer` (from allocateWindows): row i holds tokens
 * [s, s + context) as inputs and [s + 1, s + context + 1) as labels. The result views the buffer's
 * first `starts.length` rows.
 */
export function gatherWindows(sequence: TokenSequence, starts: ArrayLike<number>, buffer: TokenWindows): TokenWindows {
  const { context } = buffer;
  const count = starts.length;
  if (count * context > buffer.inputs.length) {
    throw new RetortError('BAD_ARGUMENT', `${count} windows of ${context} tokens do not fit a buffer for ${buffer.inputs.length / context}`);
  }
  const { tokens } = sequence;
  for (let w = 0; w < count; w++) {
    const start = starts[w]!;
    if (!(Number.isInteger(start) && start >= 0 && start + context < sequence.length)) {
      throw new RetortError('BAD_ARGUMENT', `Window start ${start} (context ${context}) runs past "${sequence.name}" of ${sequence.length} tokens`);
    }
    const row = w * context;
    for (let t = 0; t < context; t++) {
      buffer.inputs[row + t] = BigInt(tokens[start + t]!);
      buffer.labels[row + t] = BigInt(tokens[start + t + 1]!);
    }
  }
  return { inputs: buffer.inputs.subarray(0, count * context), labels: buffer.labels.subarray(0, count * context), count, context };
}

/**
 * The windows at `starts`, `batchSize` at a time (the last batch may be smaller), for evaluation and
 * calibration passes. Each batch views one reused buffer, valid until the next is drawn: a caller that
 * keeps a batch copies it.
 */
export function* windowBatches(sequence: TokenSequence, starts: Uint32Array, context: number, batchSize: number): Generator<TokenWindows> {
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new RetortError('BAD_ARGUMENT', `Window batch size must be a positive integer, got ${batchSize}`);
  const buffer = allocateWindows(Math.min(batchSize, Math.max(1, starts.length)), context);
  for (let first = 0; first < starts.length; first += batchSize) yield gatherWindows(sequence, starts.subarray(first, first + batchSize), buffer);
}

/** Steps in an epoch of random windows: enough to hold the training tokens once, at least one. */
export function languageModelStepsPerEpoch(tokens: number, batchSize: number, context: number): number {
  return Math.max(1, Math.floor(tokens / (batchSize * context)));
}
