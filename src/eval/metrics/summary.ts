/** The task metrics of one model in one object, as `retort eval` and the report print them. */
import { expectedCalibrationError, type Calibration } from './calibration.js';
import { accuracy, confusionMatrix, perClassPrecisionRecall, topKAccuracy, type ClassScores, type ConfusionMatrix } from './classification.js';
import type { Predictions } from './predictions.js';
import { brierScore, negativeLogLikelihood } from './scoring.js';

export interface TaskMetrics {
  samples: number;
  accuracy: number;
  /** Top-k accuracy for each requested k that is at most the class count, keyed by k. */
  topK: Record<number, number>;
  nll: number;
  brier: number;
  calibration: Calibration;
  perClass: ClassScores[];
  confusion: ConfusionMatrix;
}

export interface TaskMetricsOptions {
  /** The k of top-k accuracy; [5] by default (skipped where k exceeds the class count). */
  topK?: readonly number[];
  /** Calibration bins; 15 by default. */
  bins?: number;
}

export function taskMetrics(predictions: Predictions, options: TaskMetricsOptions = {}): TaskMetrics {
  const topK: Record<number, number> = {};
  for (const k of options.topK ?? [5]) if (k <= predictions.classes) topK[k] = topKAccuracy(predictions, k);
  return {
    samples: predictions.samples,
    accuracy: accuracy(predictions),
    topK,
    nll: negativeLogLikelihood(predictions),
    brier: brierScore(predictions),
    calibration: expectedCalibrationError(predictions, options.bins === undefined ? {} : { bins: options.bins }),
    perClass: perClassPrecisionRecall(predictions),
    confusion: confusionMatrix(predictions),
  };
}
