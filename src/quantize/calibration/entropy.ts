/**
 * Entropy calibration (Migacz, "8-bit Inference with TensorRT", GTC 2017): over a 2048-bin
 * histogram of |x|, try every threshold i >= levels bins; the reference distribution P is bins
 * [0, i) with the clipped outliers added to the last bin, the candidate Q is bins [0, i) merged into
 * `levels` quantization bins and spread back uniformly over the nonzero source bins. The threshold
 * with the least KL(P || Q) wins. Zero Q bins under nonzero P are smoothed (eps 1e-4, as MXNet's
 * implementation of the same method does) so the divergence stays finite.
 */
import { clipToThreshold, histogramOf, type Calibrator } from './calibrator.js';

const SMOOTHING = 1e-4;

/** Normalize to a distribution, moving eps of mass onto zero bins (MXNet `_smooth_distribution`). */
function smooth(p: Float64Array): Float64Array | null {
  let sum = 0;
  let zeros = 0;
  for (const v of p) {
    sum += v;
    if (v === 0) zeros++;
  }
  const nonZeros = p.length - zeros;
  if (sum === 0 || nonZeros === 0) return null;
  const out = new Float64Array(p.length);
  const take = zeros === 0 ? 0 : (SMOOTHING * zeros) / nonZeros;
  for (let k = 0; k < p.length; k++) out[k] = p[k] === 0 ? SMOOTHING : p[k]! / sum - take;
  if (out.some((v) => v <= 0)) return null;
  return out;
}

export function klDivergence(p: Float64Array, q: Float64Array): number {
  let kl = 0;
  for (let k = 0; k < p.length; k++) if (p[k]! > 0) kl += p[k]! * Math.log(p[k]! / q[k]!);
  return kl;
}

/** Threshold on |x| minimizing KL(P || Q); returns the upper edge of the last kept bin. */
export function entropyThreshold(counts: ArrayLike<number>, binWidth: number, levels: number): number {
  const bins = counts.length;
  if (bins <= levels) return bins * binWidth;
  const suffix = new Float64Array(bins + 1);
  for (let i = bins - 1; i >= 0; i--) suffix[i] = suffix[i + 1]! + counts[i]!;
  let best = Infinity;
  let bestBins = bins;
  for (let i = levels; i <= bins; i++) {
    const p = new Float64Array(i);
    for (let k = 0; k < i; k++) p[k] = counts[k]!;
    p[i - 1]! += suffix[i]!;
    const q = new Float64Array(i);
    const merged = i / levels;
    for (let j = 0; j < levels; j++) {
      const start = Math.floor(j * merged);
      const end = j === levels - 1 ? i : Math.floor((j + 1) * merged);
      let sum = 0;
      let nonZero = 0;
      for (let k = start; k < end; k++) {
        sum += counts[k]!;
        if (counts[k] !== 0) nonZero++;
      }
      if (nonZero > 0) for (let k = start; k < end; k++) q[k] = counts[k] !== 0 ? sum / nonZero : 0;
    }
    const ps = smooth(p);
    const qs = smooth(q);
    if (!ps || !qs) continue;
    const kl = klDivergence(ps, qs);
    if (kl < best) {
      best = kl;
      bestBins = i;
    }
  }
  return bestBins * binWidth;
}

export const entropyCalibrator: Calibrator<{ method: 'entropy' }> = {
  statistics: 'histogram',
  range(statistics, _options, context) {
    const h = histogramOf(statistics, 'entropy');
    return clipToThreshold(h, entropyThreshold(h.counts, h.binWidth, context.levels));
  },
};
