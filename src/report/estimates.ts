/**
 * Point estimates with seeded percentile-bootstrap intervals (src/eval/bootstrap.ts). Every metric
 * of every model is resampled with the same seed, so all models see the same resampled index sets
 * and their intervals are comparable.
 */
import { bootstrapInterval, type Statistic } from '../eval/bootstrap.js';
import { selectRows, type Predictions } from '../eval/metrics/predictions.js';
import type { Estimate } from './types.js';

export interface BootstrapSettings {
  /** Resamples; 0 for point estimates only. */
  resamples: number;
  confidence: number;
  seed: number;
}

export function estimate(value: number, samples: number, statistic: Statistic, settings: BootstrapSettings): Estimate {
  if (settings.resamples === 0) return { value };
  return { value, interval: bootstrapInterval(samples, statistic, { resamples: settings.resamples, confidence: settings.confidence, seed: settings.seed }) };
}

/** A metric of one model's predictions, estimated with its interval. */
export function estimateOf(predictions: Predictions, metric: (p: Predictions) => number, settings: BootstrapSettings): Estimate {
  return estimate(metric(predictions), predictions.samples, (indices) => metric(selectRows(predictions, indices)), settings);
}

/** A metric of two models' predictions on the same samples (agreement, KL), resampled in pairs. */
export function pairedEstimateOf(
  a: Predictions,
  b: Predictions,
  metric: (a: Predictions, b: Predictions) => number,
  settings: BootstrapSettings,
): Estimate {
  return estimate(metric(a, b), a.samples, (indices) => metric(selectRows(a, indices), selectRows(b, indices)), settings);
}
