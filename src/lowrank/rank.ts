/** Choosing a layer's rank from its singular values. */
import { RetortError } from '../util/errors.js';

export type RankPolicy =
  /** Smallest rank whose singular values hold this fraction of sum(s^2) (the Frobenius energy). */
  | { method: 'energy'; energy: number }
  /** Largest rank whose two factors hold at most this fraction of the layer's parameters (and MACs). */
  | { method: 'budget'; fraction: number };

export function chooseRank(s: Float64Array, rows: number, cols: number, policy: RankPolicy): number {
  if (policy.method === 'energy') {
    if (!(policy.energy > 0 && policy.energy <= 1)) throw new RetortError('BAD_ARGUMENT', `--energy ${policy.energy}: expected a fraction in (0, 1]`);
    const total = s.reduce((a, x) => a + x * x, 0);
    let running = 0;
    for (let r = 0; r < s.length; r++) {
      running += s[r]! * s[r]!;
      if (running >= policy.energy * total * (1 - 1e-12)) return r + 1;
    }
    return s.length;
  }
  if (!(policy.fraction > 0 && policy.fraction <= 1)) throw new RetortError('BAD_ARGUMENT', `--rank-budget ${policy.fraction}: expected a fraction in (0, 1]`);
  return Math.max(1, Math.min(s.length, Math.floor((policy.fraction * rows * cols) / (rows + cols))));
}

/** Fraction of sum(s^2) held by the first `rank` singular values. */
export function retainedEnergy(s: Float64Array, rank: number): number {
  let kept = 0;
  let total = 0;
  s.forEach((x, i) => {
    total += x * x;
    if (i < rank) kept += x * x;
  });
  return total > 0 ? kept / total : 1;
}
