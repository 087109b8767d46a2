/**
 * A classifier's predictions over a test set as every metric here reads them: class probabilities
 * (and their logs) per sample, with the true labels. Built once from logits or probabilities; the
 * metrics are plain functions of it, so the bootstrap can resample rows and call them again.
 */
import { RetortError } from '../../util/errors.js';
import type { DatasetLogits } from '../logits.js';

export interface Predictions {
  /** samples x classes, sample-major; each row sums to 1. */
  probabilities: Float64Array;
  /** Natural logs of `probabilities`; from logits they are a stable log-softmax, so no -Infinity from underflow. */
  logProbabilities: Float64Array;
  /** True class per sample, 0..classes-1. */
  labels: ArrayLike<number>;
  classes: number;
  samples: number;
}

function checkShape(values: ArrayLike<number>, labels: ArrayLike<number>, classes: number, what: string): number {
  if (!(Number.isInteger(classes) && classes >= 1)) throw new RetortError('BAD_ARGUMENT', `${what}: classes must be a positive integer, got ${classes}`);
  if (values.length !== labels.length * classes) {
    throw new RetortError('BAD_ARGUMENT', `${what}: ${labels.length} labels and ${classes} classes need ${labels.length * classes} values, got ${values.length}`);
  }
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (!(Number.isInteger(label) && label >= 0 && label < classes)) {
      throw new RetortError('BAD_ARGUMENT', `${what}: sample ${i} has label ${label}, expected an integer in 0..${classes - 1}`);
    }
  }
  return labels.length;
}

/** Softmax over each row of logits (samples x classes), in float64 with the row maximum subtracted. */
export function fromLogits(logits: ArrayLike<number>, labels: ArrayLike<number>, classes: number): Predictions {
  const samples = checkShape(logits, labels, classes, 'Predictions from logits');
  const probabilities = new Float64Array(samples * classes);
  const logProbabilities = new Float64Array(samples * classes);
  for (let i = 0; i < samples; i++) {
    const base = i * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[base + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[base + c]! - max);
    const logSum = Math.log(sum) + max;
    for (let c = 0; c < classes; c++) {
      const logP = logits[base + c]! - logSum;
      logProbabilities[base + c] = logP;
      probabilities[base + c] = Math.exp(logP);
    }
  }
  return { probabilities, logProbabilities, labels, classes, samples };
}

/** Rows that are already probabilities (non-negative, summing to 1 within 1e-3). */
export function fromProbabilities(probabilities: ArrayLike<number>, labels: ArrayLike<number>, classes: number): Predictions {
  const samples = checkShape(probabilities, labels, classes, 'Predictions from probabilities');
  const p = Float64Array.from(probabilities);
  for (let i = 0; i < samples; i++) {
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const v = p[i * classes + c]!;
      if (!(v >= 0)) throw new RetortError('BAD_ARGUMENT', `Probabilities of sample ${i} must be non-negative, class ${c} has ${v}`);
      sum += v;
    }
    if (Math.abs(sum - 1) > 1e-3) throw new RetortError('BAD_ARGUMENT', `Probabilities of sample ${i} sum to ${sum}, expected 1 (pass logits to fromLogits instead)`);
  }
  return { probabilities: p, logProbabilities: p.map(Math.log), labels, classes, samples };
}

/** From `datasetLogits` (eval/logits.ts): the session's logits over a dataset. */
export function predictionsOf(scored: DatasetLogits): Predictions {
  return fromLogits(scored.logits, scored.labels, scored.classes);
}

/** The rows at `indices` (repeats allowed: a bootstrap resample), copied. */
export function selectRows(predictions: Predictions, indices: ArrayLike<number>): Predictions {
  const { classes } = predictions;
  const probabilities = new Float64Array(indices.length * classes);
  const logProbabilities = new Float64Array(indices.length * classes);
  const labels = new Int32Array(indices.length);
  const { probabilities: p, logProbabilities: logP } = predictions;
  // Element loops, not subarray().set(): a bootstrap calls this B times on every row, and a
  // subarray view per row costs more than the copy itself for 10-class rows.
  for (let k = 0; k < indices.length; k++) {
    const from = indices[k]! * classes;
    const to = k * classes;
    for (let c = 0; c < classes; c++) {
      probabilities[to + c] = p[from + c]!;
      logProbabilities[to + c] = logP[from + c]!;
    }
    labels[k] = predictions.labels[indices[k]!]!;
  }
  return { probabilities, logProbabilities, labels, classes, samples: indices.length };
}

/** Arg-max class of sample i (the lowest index among ties, like ONNX ArgMax). */
export function predictedClass(predictions: Predictions, i: number): number {
  const { probabilities: p, classes } = predictions;
  const base = i * classes;
  let best = 0;
  for (let c = 1; c < classes; c++) if (p[base + c]! > p[base + best]!) best = c;
  return best;
}

/** Highest class probability of sample i (the "confidence" of calibration papers). */
export function confidence(predictions: Predictions, i: number): number {
  return predictions.probabilities[i * predictions.classes + predictedClass(predictions, i)]!;
}

export function requireSamples(predictions: Predictions, what: string): void {
  if (predictions.samples === 0) throw new RetortError('BAD_ARGUMENT', `${what} needs at least one sample`);
}

/** Two prediction sets must score the same samples (fidelity, paired comparisons). */
export function requireSameSamples(a: Predictions, b: Predictions, what: string): void {
  if (a.samples !== b.samples || a.classes !== b.classes) {
    throw new RetortError('BAD_ARGUMENT', `${what} needs predictions of the same samples and classes; got ${a.samples}x${a.classes} and ${b.samples}x${b.classes}`);
  }
}
