/**
 * Seeded bootstrap confidence intervals (Efron & Tibshirani 1993, ch. 13, percentile method) for
 * any metric of a test set, a paired bootstrap for the difference between two models on the same
 * test set, and how well a student's intervals reproduce its teacher's ("uncertainty-quantification
 * fidelity").
 */
import { RetortError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { selectRows, type Predictions } from './metrics/predictions.js';

/** A metric of the samples at `indices` (a resample: repeats allowed), e.g. accuracy of those rows. */
export type Statistic = (indices: Uint32Array) => number;

export interface BootstrapOptions {
  /** Number of resamples B; 1000 by default. */
  resamples?: number;
  /** Two-sided confidence level in (0, 1); 0.95 by default. */
  confidence?: number;
  seed: number;
}

export interface Interval {
  /** The statistic on the test set as it is (not the mean of the resamples). */
  estimate: number;
  lower: number;
  upper: number;
  confidence: number;
  resamples: number;
}

export const DEFAULT_RESAMPLES = 1000;
export const DEFAULT_CONFIDENCE = 0.95;

function settings(options: BootstrapOptions): { resamples: number; confidence: number } {
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  if (!(Number.isInteger(resamples) && resamples >= 2)) throw new RetortError('BAD_ARGUMENT', `Bootstrap resamples must be an integer >= 2, got ${resamples}`);
  if (!(confidence > 0 && confidence < 1)) throw new RetortError('BAD_ARGUMENT', `Bootstrap confidence must be in (0, 1), got ${confidence}`);
  return { resamples, confidence };
}

/** Quantile q of sorted values, linear between order statistics (Hyndman & Fan 1996, type 7). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const position = q * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low]! + (position - low) * (sorted[high]! - sorted[low]!);
}

function identity(n: number): Uint32Array {
  return Uint32Array.from({ length: n }, (_, i) => i);
}

/** B index vectors of n draws with replacement, from one seeded generator. */
function* resampleIndices(n: number, resamples: number, seed: number): Generator<Uint32Array> {
  const rng = new Rng(seed);
  const indices = new Uint32Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) indices[i] = rng.int(n);
    yield indices;
  }
}

function percentileInterval(estimate: number, replicates: Float64Array, confidence: number): Interval {
  const finite = Float64Array.from(replicates.filter(Number.isFinite)).sort();
  if (finite.length === 0) throw new RetortError('NON_FINITE', 'Every bootstrap replicate of the statistic was NaN or infinite');
  const alpha = 1 - confidence;
  return { estimate, lower: quantile(finite, alpha / 2), upper: quantile(finite, 1 - alpha / 2), confidence, resamples: replicates.length };
}

/** Percentile interval of `statistic` over `sampleCount` samples. */
export function bootstrapInterval(sampleCount: number, statistic: Statistic, options: BootstrapOptions): Interval {
  return bootstrapIntervals(sampleCount, (indices) => [statistic(indices)], 1, options)[0]!;
}

/**
 * Intervals of several statistics from one set of resamples: `statistics` returns `count` values
 * for the same indices (e.g. select the rows once, then score every metric on them). Each
 * interval equals what bootstrapInterval gives for that statistic alone with the same options.
 */
export function bootstrapIntervals(sampleCount: number, statistics: (indices: Uint32Array) => readonly number[], count: number, options: BootstrapOptions): Interval[] {
  const { resamples, confidence } = settings(options);
  if (!(Number.isInteger(sampleCount) && sampleCount >= 1)) throw new RetortError('BAD_ARGUMENT', `Bootstrap needs at least one sample, got ${sampleCount}`);
  const replicates = Array.from({ length: count }, () => new Float64Array(resamples));
  let r = 0;
  for (const indices of resampleIndices(sampleCount, resamples, options.seed)) {
    const values = statistics(indices);
    for (let s = 0; s < count; s++) replicates[s]![r] = values[s]!;
    r++;
  }
  const estimates = statistics(identity(sampleCount));
  return replicates.map((values, s) => percentileInterval(estimates[s]!, values, confidence));
}

export interface PairedDifference extends Interval {
  /** Fraction of resamples where metric(A) > metric(B), and where it is smaller. */
  fractionAGreater: number;
  fractionBGreater: number;
}

/**
 * Interval for metric(A) - metric(B) on the same test set: each resample draws one index vector and
 * scores both models on it, so the sample-to-sample correlation between the models cancels
 * (Koehn 2004, "Statistical Significance Tests for Machine Translation Evaluation").
 */
export function pairedBootstrap(sampleCount: number, statisticA: Statistic, statisticB: Statistic, options: BootstrapOptions): PairedDifference {
  const { resamples, confidence } = settings(options);
  if (!(Number.isInteger(sampleCount) && sampleCount >= 1)) throw new RetortError('BAD_ARGUMENT', `Paired bootstrap needs at least one sample, got ${sampleCount}`);
  const replicates = new Float64Array(resamples);
  let aGreater = 0;
  let bGreater = 0;
  let r = 0;
  for (const indices of resampleIndices(sampleCount, resamples, options.seed)) {
    const difference = statisticA(indices) - statisticB(indices);
    replicates[r++] = difference;
    if (difference > 0) aGreater++;
    else if (difference < 0) bGreater++;
  }
  const all = identity(sampleCount);
  const interval = percentileInterval(statisticA(all) - statisticB(all), replicates, confidence);
  return { ...interval, fractionAGreater: aGreater / resamples, fractionBGreater: bGreater / resamples };
}

/** A Statistic that applies a metric of Predictions to the resampled rows. */
export function onRows(predictions: Predictions, metric: (p: Predictions) => number): Statistic {
  return (indices) => metric(selectRows(predictions, indices));
}

/** Named metrics of Predictions, each with its interval, from one set of resampled rows per resample. */
export function metricIntervals(predictions: Predictions, metrics: Record<string, (p: Predictions) => number>, options: BootstrapOptions): Record<string, Interval> {
  const entries = Object.entries(metrics);
  const intervals = bootstrapIntervals(
    predictions.samples,
    (indices) => {
      const rows = selectRows(predictions, indices);
      return entries.map(([, metric]) => metric(rows));
    },
    entries.length,
    options,
  );
  return Object.fromEntries(entries.map(([name], k) => [name, intervals[k]!]));
}

/** A Statistic for the mean of per-sample values (fast path: no row copies). */
export function meanOf(values: ArrayLike<number>): Statistic {
  return (indices) => {
    let sum = 0;
    for (let k = 0; k < indices.length; k++) sum += values[indices[k]!]!;
    return sum / indices.length;
  };
}

export interface UncertaintyFidelity {
  /** Whether the student's interval contains the teacher's point estimate. */
  coversTeacher: boolean;
  /** Width of the intersection of the two intervals (0 when disjoint). */
  intersection: number;
  /**
   * Intersection over union of the two intervals (Jaccard index of [lower, upper] ranges): 1 when
   * they coincide, 0 when disjoint. When both have zero width it is 1 if they are the same point.
   */
  overlap: number;
}

/**
 * Uncertainty-quantification fidelity for one metric: does the student's interval say the teacher's
 * value is plausible (coverage), and how much of the range of plausible values the two share (IoU).
 * Both intervals should come from the same bootstrap settings (resamples, confidence, seed) so the
 * widths are comparable.
 */
export function uncertaintyFidelity(teacher: Interval, student: Interval): UncertaintyFidelity {
  const coversTeacher = student.lower <= teacher.estimate && teacher.estimate <= student.upper;
  const intersection = Math.max(0, Math.min(teacher.upper, student.upper) - Math.max(teacher.lower, student.lower));
  const union = Math.max(teacher.upper, student.upper) - Math.min(teacher.lower, student.lower);
  const samePoint = teacher.lower === student.lower && teacher.upper === student.upper;
  const overlap = union > 0 ? intersection / union : samePoint ? 1 : 0;
  return { coversTeacher, intersection, overlap };
}

export interface MetricUncertainty extends UncertaintyFidelity {
  metric: string;
  teacher: Interval;
  student: Interval;
}

/** For each named metric: teacher and student intervals (same seed and settings) and their UQ fidelity. */
export function uncertaintyFidelityReport(
  teacher: Predictions,
  student: Predictions,
  metrics: Record<string, (p: Predictions) => number>,
  options: BootstrapOptions,
): MetricUncertainty[] {
  const t = metricIntervals(teacher, metrics, options);
  const s = metricIntervals(student, metrics, options);
  return Object.keys(metrics).map((metric) => ({ metric, teacher: t[metric]!, student: s[metric]!, ...uncertaintyFidelity(t[metric]!, s[metric]!) }));
}
