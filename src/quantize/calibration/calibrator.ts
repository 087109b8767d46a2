/**
 * Calibrators turn statistics of activations over a calibration set into a range [min, max] per
 * tensor. Each declares what the calibration graph must output for a tensor (`statistics`):
 * ReduceMin/ReduceMax scalars, or the whole tensor for histogram methods (ORT's calibrators do the
 * same). Options are a typed union, one member per method.
 */
import { RetortError } from '../../util/errors.js';
import type { AbsHistogram } from './histogram.js';

export type CalibratorOptions =
  | { method: 'minmax' }
  | { method: 'percentile'; percentile: number }
  | { method: 'entropy' }
  | { method: 'mse' };

export type CalibratorName = CalibratorOptions['method'];

export interface TensorRange {
  min: number;
  max: number;
}

/** What a threshold search may use about the quantized target of a tensor. */
export interface RangeContext {
  /** Quantization levels available on the positive side of the histogram (128 for int8 symmetric, 256 for uint8 over [0, t]). */
  levels: number;
}

export interface MinMaxStatistics {
  kind: 'minmax';
  min: number;
  max: number;
}

export interface HistogramStatistics {
  kind: 'histogram';
  histogram: AbsHistogram;
}

export type Statistics = MinMaxStatistics | HistogramStatistics;

export interface Calibrator<O extends CalibratorOptions = CalibratorOptions> {
  statistics: Statistics['kind'];
  /** Range from collected statistics; histogram calibrators choose a threshold t on |x|. */
  range(statistics: Statistics, options: O, context: RangeContext): TensorRange;
}

export function histogramOf(statistics: Statistics, method: string): AbsHistogram {
  if (statistics.kind !== 'histogram') throw new RetortError('BAD_ARGUMENT', `Calibrator "${method}" needs histogram statistics, got ${statistics.kind}`);
  return statistics.histogram;
}

/** The observed range clipped to [-t, t]: a threshold on |x| applied to signed data. */
export function clipToThreshold(histogram: AbsHistogram, threshold: number): TensorRange {
  const clip = (x: number): number => Math.min(threshold, Math.max(-threshold, x));
  return { min: clip(histogram.min), max: clip(histogram.max) };
}
