/**
 * Point estimates with seeded percentile-bootstrap intervals (src/eval/bootstrap.ts). Every metric
 * of every model is resampled with the same seed, so all models see the same resampled index sets
 * and their intervals are comparable.
 */
import { bootstrapInterval, meanOf, type Statistic } from '../eval/bootstrap.js';
import { mean } from '../eval/metrics/scoring.js';
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

/**
 * A metric that is a mean of per-sample values (accuracy, NLL, Brier, agreement, KL): resampling
 * the values directly gives the same interval as resampling prediction rows, without copying rows.
 */
export function estimateMean(perSample: ArrayLike<number>, settings: BootstrapSettings): Estimate {
  return estimate(mean(perSample), perSample.length, meanOf(perSample), settings);
}
