/**
 * Parameter initialization as PyTorch does it by default, so a retort-built student starts where
 * the same PyTorch module would.
 */
import type { Rng } from '../util/random.js';

/**
 * PyTorch's default for nn.Linear and nn.Conv*: `kaiming_uniform_(weight, a=sqrt(5))` (He et al.
 * 2015), whose bound gain * sqrt(3 / fan_in) with gain sqrt(2 / (1 + a^2)) is 1 / sqrt(fan_in); the
 * bias is drawn from the same U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
 */
export function defaultInitBound(fanIn: number): number {
  return 1 / Math.sqrt(fanIn);
}

/** `count` values from U(-bound, bound). */
export function uniform(rng: Rng, count: number, bound: number): Float32Array {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = (2 * rng.next() - 1) * bound;
  return values;
}

export function filled(count: number, value: number): Float32Array {
  return new Float32Array(count).fill(value);
}
