/**
 * The data a comparison report is made of: one entry per model with its cost (src/eval/cost/) and
 * its quality (src/eval/metrics, fidelity, bootstrap, robustness). `retort eval` writes one entry,
 * `retort compare` several; --json and the HTML report are two views of this one structure, and
 * the shapes of bins, class scores and intervals are the metrics library's own.
 */
import type { Attack } from '../eval/attacks.js';
import type { Interval, PairedDifference, UncertaintyFidelity } from '../eval/bootstrap.js';
import type { ModelCost } from '../eval/cost/types.js';
import type { Fairness } from '../eval/fairness.js';
import type { CalibrationBin } from '../eval/metrics/calibration.js';
import type { ClassScores } from '../eval/metrics/classification.js';

export type { Attack, CalibrationBin, ClassScores, Fairness, Interval, ModelCost, PairedDifference, UncertaintyFidelity };
export type { LayerCost, Latency, ModelBytes } from '../eval/cost/types.js';

/** A point estimate with an optional percentile-bootstrap interval (src/eval/bootstrap.ts). */
export interface Estimate {
  value: number;
  interval?: Interval;
}

export interface MetricsEntry {
  samples: number;
  accuracy: Estimate;
  /** Mean negative log-likelihood of the true class, nats. */
  nll: Estimate;
  /** Multi-class Brier score (Brier 1950). */
  brier: Estimate;
  /** Top-label expected calibration error over `reliability` (Guo et al. 2017). */
  ece: Estimate;
  /** Equal-width confidence bins: what a reliability diagram draws. */
  reliability: CalibrationBin[];
  /** Per class: support, precision, recall (the class's accuracy), F1. */
  perClass: ClassScores[];
  /** confusion[true][predicted]. */
  confusion: number[][];
  /**
   * Classes as groups (src/eval/fairness.ts): accuracy and top-label ECE per class, the worst and
   * best class, and the best-minus-worst gaps in accuracy and ECE.
   */
  fairness: Fairness;
}

/** Agreement of a model with a teacher over the same samples (Stanton et al. 2021). */
export interface FidelityEntry {
  /** Name of the teacher entry. */
  teacher: string;
  /** Fraction of samples with the same top-1 class. */
  agreement: Estimate;
  /** Mean KL(teacher || model) of the softmax outputs, nats. */
  kl: Estimate;
  /** Mean per-sample Kendall tau-b over the non-target classes (dark knowledge); null when undefined. */
  kendallTau: number | null;
  /**
   * Model minus teacher on the same resampled samples (paired bootstrap, Koehn 2004; the report's
   * resamples, confidence and seed). Accuracy as a fraction, NLL in nats. In each, fractionAGreater
   * is the share of resamples where this model's value is the larger, fractionBGreater where the
   * teacher's is. Absent without resamples (--bootstrap 0).
   */
  difference?: { accuracy: PairedDifference; nll: PairedDifference };
  /**
   * Uncertainty-quantification fidelity: whether this model's interval of each metric covers the
   * teacher's value, and the intersection over union of the two intervals (both from the same
   * resamples). Absent without resamples (--bootstrap 0).
   */
  uncertainty?: { accuracy: UncertaintyFidelity; nll: UncertaintyFidelity; ece: UncertaintyFidelity };
}

/** White-box accuracy under an L-infinity attack crafted on the model's own gradients (src/eval/attacks.ts). */
export interface RobustnessEntry {
  attack: Attack;
  /** describeAttack(attack): e.g. `PGD eps=0.1 step=0.025 steps=10`. */
  description: string;
  samples: number;
  /** Accuracy on the attacked inputs. */
  accuracy: Estimate;
}

export interface ModelEntry extends ModelCost {
  name: string;
  path: string;
  metrics: MetricsEntry;
  fidelity?: FidelityEntry;
  robustness?: RobustnessEntry;
}

export interface ComparisonReport {
  title: string;
  /** ISO 8601 time the report was made. */
  created: string;
  retortVersion: string;
  data: { name: string; split: string; samples: number };
  /** What every number depends on. `bootstrap` 0: no intervals. */
  settings: { bootstrap: number; confidence: number; seed: number; batchSize: number; calibrationBins: number };
  /** Name of the entry fidelity is measured against, if any. */
  teacher?: string;
  models: ModelEntry[];
}
