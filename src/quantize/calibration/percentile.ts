/**
 * Percentile calibration (e.g. 99.99): the threshold t is the p-th percentile of |x| (linear within
 * the histogram bin it falls in), and the observed range is clipped to [-t, t], so a handful of
 * outliers cannot stretch the scale for everything else.
 */
import { RetortError } from '../../util/errors.js';
import { clipToThreshold, histogramOf, type Calibrator } from './calibrator.js';

export function percentileThreshold(counts: ArrayLike<number>, binWidth: number, percentile: number): number {
  if (!(percentile > 0 && percentile <= 100)) throw new RetortError('BAD_ARGUMENT', `Percentile must be in (0, 100], got ${percentile}`);
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total === 0) return 0;
  const target = (percentile / 100) * total;
  let cumulative = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c > 0 && cumulative + c >= target) return (i + (target - cumulative) / c) * binWidth;
    cumulative += c;
  }
  return counts.length * binWidth;
}

export const percentileCalibrator: Calibrator<{ method: 'percentile'; percentile: number }> = {
  statistics: 'histogram',
  range(statistics, options) {
    const h = histogramOf(statistics, 'percentile');
    return clipToThreshold(h, percentileThreshold(h.counts, h.binWidth, options.percentile));
  },
};
