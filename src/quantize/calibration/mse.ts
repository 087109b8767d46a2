/**
 * MSE calibration: the threshold t on |x| (a histogram bin edge) minimizing the expected squared
 * quantization error, estimated per bin as Δ²/12 for values inside [0, t] (uniform rounding noise,
 * Δ = t / (levels - 1)) and (c - t)² for clipped values at bin centre c (as in ACIQ, Banner et al.
 * 2019, evaluated on the empirical histogram instead of a fitted Laplace/Gauss prior).
 */
import { clipToThreshold, histogramOf, type Calibrator } from './calibrator.js';

export function expectedSquaredError(counts: ArrayLike<number>, binWidth: number, levels: number, thresholdBins: number): number {
  const t = thresholdBins * binWidth;
  const step = t / (levels - 1);
  let inside = 0;
  let clipped = 0;
  for (let k = 0; k < counts.length; k++) {
    const c = counts[k]!;
    if (c === 0) continue;
    if (k < thresholdBins) inside += c;
    else clipped += c * ((k + 0.5) * binWidth - t) ** 2;
  }
  return inside * (step * step) / 12 + clipped;
}

export function mseThreshold(counts: ArrayLike<number>, binWidth: number, levels: number): number {
  let best = Infinity;
  let bestBins = counts.length;
  for (let i = 1; i <= counts.length; i++) {
    const error = expectedSquaredError(counts, binWidth, levels, i);
    if (error < best) {
      best = error;
      bestBins = i;
    }
  }
  return bestBins * binWidth;
}

export const mseCalibrator: Calibrator<{ method: 'mse' }> = {
  statistics: 'histogram',
  range(statistics, _options, context) {
    const h = histogramOf(statistics, 'mse');
    return clipToThreshold(h, mseThreshold(h.counts, h.binWidth, context.levels));
  },
};
