/**
 * A pool of token sequences a model sampled (a teacher's for sequence-level KD, the student's for
 * on-policy distillation), and the training windows drawn from it: each step takes `batch` sequences
 * of the pool (distinct while the pool has enough, seeded by (seed, step)) and, where a sequence is
 * longer than a window of context + 1 tokens, a seeded offset in it. Inputs are a window's first
 * `context` tokens and labels the same shifted by one, as for windows of real text.
 */
import { tokenSequence, type TokenSequence } from '../../data/text/corpus.js';
import type { TokenWindows } from '../../data/text/windows.js';
import { deriveSeed } from '../../train/seeds.js';
import type { WindowSource } from '../../train/trainer.js';
import { RetortError } from '../../util/errors.js';
import { Rng } from '../../util/random.js';

/** `count` sequences of `length` token ids each, row-major. */
export interface SequencePool {
  sequences: Int32Array;
  count: number;
  length: number;
  /** Ids are in 0..vocabSize-1. */
  vocabSize: number;
}

/** A seed stream of the pool's windows apart from the Trainer's own (shuffles 1, dropout 2, windows 3). */
const POOL_WINDOWS = 0x9001;

export function sequencePool(sequences: Int32Array, length: number, vocabSize: number): SequencePool {
  if (!(Number.isInteger(length) && length > 1)) throw new RetortError('BAD_ARGUMENT', `Sequence length ${length} must be an integer above 1`);
  if (sequences.length % length !== 0) throw new RetortError('BAD_ARGUMENT', `${sequences.length} tokens are not whole sequences of ${length}`);
  return { sequences, count: sequences.length / length, length, vocabSize };
}

/** The pool's sequences one after another, as a token sequence (for names, sizes and the checkpoint hash). */
export function poolAsTokens(pool: SequencePool, name: string): TokenSequence {
  return tokenSequence(name, pool.sequences, pool.vocabSize);
}

/**
 * The windows of `step` from `pool`: `buffer.count` sequences (a seeded partial shuffle, so distinct
 * while the pool holds at least that many; else with repeats), each cut at a seeded offset.
 */
export function poolWindowsAt(pool: SequencePool, seed: number, step: number, buffer: TokenWindows): TokenWindows {
  const { context, count } = buffer;
  if (pool.length < context + 1) throw new RetortError('BAD_ARGUMENT', `Sequences of ${pool.length} tokens are shorter than a window of context ${context} + 1`);
  if (pool.count === 0) throw new RetortError('DATA_INVALID', 'The sequence pool is empty');
  const rng = new Rng(deriveSeed(seed, POOL_WINDOWS, step));
  const order = Uint32Array.from({ length: pool.count }, (_, i) => i);
  for (let w = 0; w < count; w++) {
    let row: number;
    if (count <= pool.count) {
      const j = w + rng.int(pool.count - w); // Fisher-Yates, the first `count` places only
      [order[w], order[j]] = [order[j]!, order[w]!];
      row = order[w]!;
    } else {
      row = rng.int(pool.count);
    }
    const offset = row * pool.length + rng.int(pool.length - context);
    for (let t = 0; t < context; t++) {
      buffer.inputs[w * context + t] = BigInt(pool.sequences[offset + t]!);
      buffer.labels[w * context + t] = BigInt(pool.sequences[offset + t + 1]!);
    }
  }
  return buffer;
}

/** A WindowSource over a fixed pool (sequence-level KD: the teacher's text, sampled once). */
export function poolWindowSource(pool: SequencePool, seed: number, key: string): WindowSource {
  return { key: `pool:${key}:${pool.count}x${pool.length}:${seed}`, windows: (step, buffer) => poolWindowsAt(pool, seed, step, buffer) };
}
