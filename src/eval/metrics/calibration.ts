/**
 * Expected calibration error with equal-width confidence bins (Naeini et al. 2015; Guo et al. 2017,
 * "On Calibration of Modern Neural Networks", eq. 3), and the per-bin numbers a reliability diagram
 * draws.
 */
import { RetortError } from '../../util/errors.js';
import { confidence, predictedClass, requireSamples, type Predictions } from './predictions.js';

export interface CalibrationBin {
  /** The bin holds confidences in (lower, upper]; the first bin also holds 0. */
  lower: number;
  upper: number;
  count: number;
  /** Mean top-class probability of the bin's samples; null for an empty bin. */
  confidence: number | null;
  /** Fraction of the bin's samples predicted correctly; null for an empty bin. */
  accuracy: number | null;
}

export interface Calibration {
  /** sum over bins of (count / samples) * |accuracy - confidence|. */
  ece: number;
  /** Largest |accuracy - confidence| over non-empty bins (Guo et al.'s MCE). */
  mce: number;
  bins: CalibrationBin[];
  samples: number;
}

export interface CalibrationOptions {
  /** Number of equal-width bins over [0, 1]; 15 as in Guo et al. */
  bins?: number;
}

export const DEFAULT_CALIBRATION_BINS = 15;

/** Bin index of a confidence in [0, 1]: bin b holds (b/M, (b+1)/M], and 0 goes to bin 0. */
export function binOf(value: number, bins: number): number {
  return Math.min(bins - 1, Math.max(0, Math.ceil(value * bins) - 1));
}

function checkBins(bins: number): void {
  if (!(Number.isInteger(bins) && bins >= 1)) throw new RetortError('BAD_ARGUMENT', `Calibration bins must be a positive integer, got ${bins}`);
}

/** Reliability of (confidence, correct) pairs, the shared core of top-label and per-class ECE. */
export function reliability(confidences: ArrayLike<number>, correct: ArrayLike<boolean | number>, bins: number): Calibration {
  checkBins(bins);
  const samples = confidences.length;
  if (samples === 0) throw new RetortError('BAD_ARGUMENT', 'Calibration error needs at least one sample');
  const count = new Float64Array(bins);
  const confidenceSum = new Float64Array(bins);
  const correctSum = new Float64Array(bins);
  for (let i = 0; i < samples; i++) {
    const b = binOf(confidences[i]!, bins);
    count[b]!++;
    confidenceSum[b]! += confidences[i]!;
    if (correct[i]) correctSum[b]!++;
  }
  let ece = 0;
  let mce = 0;
  const result: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    const n = count[b]!;
    const binConfidence = n > 0 ? confidenceSum[b]! / n : null;
    const binAccuracy = n > 0 ? correctSum[b]! / n : null;
    if (n > 0) {
      const gap = Math.abs(binAccuracy! - binConfidence!);
      ece += (n / samples) * gap;
      mce = Math.max(mce, gap);
    }
    result.push({ lower: b / bins, upper: (b + 1) / bins, count: n, confidence: binConfidence, accuracy: binAccuracy });
  }
  return { ece, mce, bins: result, samples };
}

/** Top-label calibration: confidence = the highest class probability, correct = it is the label. */
export function expectedCalibrationError(predictions: Predictions, options: CalibrationOptions = {}): Calibration {
  requireSamples(predictions, 'Calibration error');
  const confidences = new Float64Array(predictions.samples);
  const correct = new Uint8Array(predictions.samples);
  for (let i = 0; i < predictions.samples; i++) {
    confidences[i] = confidence(predictions, i);
    correct[i] = predictedClass(predictions, i) === predictions.labels[i] ? 1 : 0;
  }
  return reliability(confidences, correct, options.bins ?? DEFAULT_CALIBRATION_BINS);
}
