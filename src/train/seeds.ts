/**
 * Randomness of a training run derived from (seed, epoch) and (seed, step) rather than from a
 * running generator, so a run resumed from a checkpoint mid-epoch draws exactly what an
 * uninterrupted run would: the epoch's shuffle and each step's dropout masks are recomputed.
 */
import { Rng } from '../util/random.js';

/** A 32-bit seed from several integers (murmur3's finalizer over a running combination). */
export function deriveSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

const SHUFFLE = 1;
const DROPOUT = 2;
const WINDOWS = 3;

/** The sample order of one epoch (Fisher-Yates over a generator seeded by seed and epoch). */
export function epochPermutation(seed: number, epoch: number, length: number): Uint32Array {
  return new Rng(deriveSeed(seed, SHUFFLE, epoch)).permutation(length);
}

/** The generator of one step's language-model window starts (seed and step alone decide them). */
export function windowRng(seed: number, step: number): Rng {
  return new Rng(deriveSeed(seed, WINDOWS, step));
}

/**
 * Fill `mask` with an inverted-dropout mask (Srivastava et al. 2014): 0 with probability `ratio`,
 * else 1 / (1 - ratio), so activations keep their expected value and inference needs no rescaling.
 */
export function fillDropoutMask(mask: Float32Array, ratio: number, seed: number, step: number, site: number): void {
  const rng = new Rng(deriveSeed(seed, DROPOUT, step, site));
  const keep = 1 / (1 - ratio);
  for (let i = 0; i < mask.length; i++) mask[i] = rng.next() < ratio ? 0 : keep;
}
