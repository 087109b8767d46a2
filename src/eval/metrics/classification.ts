/** Counting metrics of a classifier: accuracy, top-k accuracy, confusion matrix, per-class precision and recall. */
import { RetortError } from '../../util/errors.js';
import { predictedClass, requireSamples, type Predictions } from './predictions.js';

/** Fraction of samples whose arg-max class is the label. */
export function accuracy(predictions: Predictions): number {
  return topKAccuracy(predictions, 1);
}

/** 1 where the arg-max class is the label, else 0 (accuracy is their mean). */
export function correctPerSample(predictions: Predictions): Float64Array {
  return Float64Array.from({ length: predictions.samples }, (_, i) => (predictedClass(predictions, i) === predictions.labels[i] ? 1 : 0));
}

/**
 * Fraction of samples whose label is among the k most probable classes. For k = 1 this is the
 * arg-max (lowest index among ties, as `accuracy`); for k > 1 a label tied at the k-th place counts
 * as a hit (only classes strictly more probable than the label push it out).
 */
export function topKAccuracy(predictions: Predictions, k: number): number {
  requireSamples(predictions, 'Top-k accuracy');
  const { probabilities: p, classes, labels, samples } = predictions;
  if (!(Number.isInteger(k) && k >= 1 && k <= classes)) throw new RetortError('BAD_ARGUMENT', `Top-k accuracy: k must be an integer in 1..${classes}, got ${k}`);
  let hits = 0;
  for (let i = 0; i < samples; i++) {
    if (k === 1) {
      if (predictedClass(predictions, i) === labels[i]) hits++;
      continue;
    }
    const base = i * classes;
    const target = p[base + labels[i]!]!;
    let above = 0;
    for (let c = 0; c < classes; c++) if (p[base + c]! > target) above++;
    if (above < k) hits++;
  }
  return hits / samples;
}

/** counts[label * classes + predicted]: rows are true classes, columns predicted classes. */
export interface ConfusionMatrix {
  classes: number;
  counts: Int32Array;
}

export function confusionMatrix(predictions: Predictions): ConfusionMatrix {
  const { classes, labels, samples } = predictions;
  const counts = new Int32Array(classes * classes);
  for (let i = 0; i < samples; i++) counts[labels[i]! * classes + predictedClass(predictions, i)]!++;
  return { classes, counts };
}

export interface ClassScores {
  class: number;
  /** Samples whose label is this class. */
  support: number;
  /** TP / (TP + FP); null when the class is never predicted. */
  precision: number | null;
  /** TP / (TP + FN), the class's accuracy; null when no sample has this label. */
  recall: number | null;
  /** Harmonic mean of precision and recall; null when either is null or both are 0. */
  f1: number | null;
}

export function perClassPrecisionRecall(predictions: Predictions): ClassScores[] {
  const { classes, counts } = confusionMatrix(predictions);
  return Array.from({ length: classes }, (_, c) => {
    let support = 0;
    let predicted = 0;
    for (let j = 0; j < classes; j++) {
      support += counts[c * classes + j]!;
      predicted += counts[j * classes + c]!;
    }
    const hits = counts[c * classes + c]!;
    const precision = predicted > 0 ? hits / predicted : null;
    const recall = support > 0 ? hits / support : null;
    const f1 = precision !== null && recall !== null && precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : null;
    return { class: c, support, precision, recall, f1 };
  });
}
