/**
 * A student against its teacher beyond agreement: is the gap in accuracy and NLL real (a paired
 * bootstrap of the difference on the same test samples), and do the student's own confidence
 * intervals tell the same story as the teacher's (uncertainty-quantification fidelity).
 */
import { meanOf, pairedBootstrap, uncertaintyFidelity, type PairedDifference } from '../eval/bootstrap.js';
import { correctPerSample, nllPerSample, type Predictions } from '../eval/metrics/index.js';
import type { BootstrapSettings } from './estimates.js';
import type { FidelityEntry, MetricsEntry } from './types.js';

/**
 * Student minus teacher in accuracy and NLL, each from one paired bootstrap (Koehn 2004) whose
 * resamples are the report's (same count, confidence and seed, hence the same index vectors as every
 * model's own intervals). Means of per-sample values, so no rows are copied. Undefined without resamples.
 */
export function pairedDifferences(teacher: Predictions, student: Predictions, bootstrap: BootstrapSettings): FidelityEntry['difference'] {
  if (bootstrap.resamples === 0) return undefined;
  const options = { resamples: bootstrap.resamples, confidence: bootstrap.confidence, seed: bootstrap.seed };
  const difference = (perSample: (p: Predictions) => ArrayLike<number>): PairedDifference =>
    pairedBootstrap(student.samples, meanOf(perSample(student)), meanOf(perSample(teacher)), options);
  return { accuracy: difference(correctPerSample), nll: difference(nllPerSample) };
}

/** UQ fidelity of accuracy, NLL and ECE from the intervals both entries carry; undefined where one lacks them. */
export function intervalFidelity(teacher: MetricsEntry, student: MetricsEntry): FidelityEntry['uncertainty'] {
  const t = { accuracy: teacher.accuracy.interval, nll: teacher.nll.interval, ece: teacher.ece.interval };
  const s = { accuracy: student.accuracy.interval, nll: student.nll.interval, ece: student.ece.interval };
  if (!(t.accuracy && t.nll && t.ece && s.accuracy && s.nll && s.ece)) return undefined;
  return { accuracy: uncertaintyFidelity(t.accuracy, s.accuracy), nll: uncertaintyFidelity(t.nll, s.nll), ece: uncertaintyFidelity(t.ece, s.ece) };
}

/** Whether an interval of a difference lies wholly on one side of 0: the difference is significant at its level. */
export function excludesZero(interval: { lower: number; upper: number }): boolean {
  return interval.lower > 0 || interval.upper < 0;
}
