/**
 * Does the model serve every class equally? Per-class accuracy and calibration, with the classes
 * taken as the groups of group-fairness measures: accuracy and ECE of the samples whose true label
 * is the class, the worst class, and the gap between the best and worst class.
 */
import { DEFAULT_CALIBRATION_BINS, reliability, type CalibrationOptions } from './metrics/calibration.js';
import { confidence, predictedClass, requireSamples, type Predictions } from './metrics/predictions.js';

export interface ClassFairness {
  class: number;
  samples: number;
  /** Accuracy on the samples of this class (its recall); null when it has none. */
  accuracy: number | null;
  /**
   * Top-label ECE on the samples of this class (equal-width bins): the calibration gap the class's
   * members see. Null when it has none. (Not Kull et al.'s classwise ECE, which bins p(class) over
   * all samples.)
   */
  ece: number | null;
}

export interface Fairness {
  perClass: ClassFairness[];
  /** Class with the lowest accuracy among classes with samples (lowest index on ties). */
  worstClass: { class: number; accuracy: number };
  bestClass: { class: number; accuracy: number };
  /** bestClass.accuracy - worstClass.accuracy. */
  accuracyGap: number;
  /** Largest minus smallest per-class ECE. */
  eceGap: number;
}

export function classFairness(predictions: Predictions, options: CalibrationOptions = {}): Fairness {
  requireSamples(predictions, 'Per-class fairness');
  const bins = options.bins ?? DEFAULT_CALIBRATION_BINS;
  const { classes, labels, samples } = predictions;
  const members: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < samples; i++) members[labels[i]!]!.push(i);
  const perClass = members.map((rows, c): ClassFairness => {
    if (rows.length === 0) return { class: c, samples: 0, accuracy: null, ece: null };
    const confidences = rows.map((i) => confidence(predictions, i));
    const correct = rows.map((i) => predictedClass(predictions, i) === c);
    const calibration = reliability(confidences, correct, bins);
    const accuracy = correct.filter(Boolean).length / rows.length;
    return { class: c, samples: rows.length, accuracy, ece: calibration.ece };
  });
  const present = perClass.filter((c) => c.accuracy !== null) as (ClassFairness & { accuracy: number; ece: number })[];
  let worst = present[0]!;
  let best = present[0]!;
  for (const c of present) {
    if (c.accuracy < worst.accuracy) worst = c;
    if (c.accuracy > best.accuracy) best = c;
  }
  const eces = present.map((c) => c.ece);
  return {
    perClass,
    worstClass: { class: worst.class, accuracy: worst.accuracy },
    bestClass: { class: best.class, accuracy: best.accuracy },
    accuracyGap: best.accuracy - worst.accuracy,
    eceGap: Math.max(...eces) - Math.min(...eces),
  };
}
