/**
 * Proper scoring rules: negative log-likelihood, the Brier score, and perplexity (the exponential
 * of a language model's mean token NLL).
 */
import { RetortError } from '../../util/errors.js';
import { requireSamples, type Predictions } from './predictions.js';

/** -log p(label) of each sample, in nats. */
export function nllPerSample(predictions: Predictions): Float64Array {
  const { logProbabilities, classes, labels, samples } = predictions;
  return Float64Array.from({ length: samples }, (_, i) => -logProbabilities[i * classes + labels[i]!]!);
}

/** Mean -log p(label), in nats (the mean softmax cross-entropy when built from logits). */
export function negativeLogLikelihood(predictions: Predictions): number {
  requireSamples(predictions, 'NLL');
  return mean(nllPerSample(predictions));
}

/**
 * Multi-class Brier score as Brier (1950) defined it: mean over samples of sum_c (p_c - y_c)^2,
 * y the one-hot label; 0 is perfect, 2 the worst.
 */
export function brierScore(predictions: Predictions): number {
  requireSamples(predictions, 'Brier score');
  return mean(brierPerSample(predictions));
}

/** sum_c (p_c - y_c)^2 of each sample. */
export function brierPerSample(predictions: Predictions): Float64Array {
  const { probabilities: p, classes, labels, samples } = predictions;
  const out = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    for (let c = 0; c < classes; c++) {
      const d = p[i * classes + c]! - (c === labels[i] ? 1 : 0);
      out[i]! += d * d;
    }
  }
  return out;
}

/** Mean of per-sample values (the metrics above are such means, which the bootstrap exploits). */
export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/**
 * Mean token NLL straight from logits (tokens x vocabulary), without materializing probabilities:
 * a language model's outputs over a long text do not fit as float64 probability rows.
 */
export function meanTokenNll(logits: ArrayLike<number>, targets: ArrayLike<number>, vocabulary: number): number {
  if (targets.length === 0 || logits.length !== targets.length * vocabulary) {
    throw new RetortError('BAD_ARGUMENT', `Token NLL needs ${targets.length} x ${vocabulary} logits for ${targets.length} targets, got ${logits.length}`);
  }
  let sum = 0;
  for (let t = 0; t < targets.length; t++) {
    const base = t * vocabulary;
    const target = targets[t]!;
    if (!(Number.isInteger(target) && target >= 0 && target < vocabulary)) {
      throw new RetortError('BAD_ARGUMENT', `Token ${t} has target ${target}, expected an integer in 0..${vocabulary - 1}`);
    }
    let max = -Infinity;
    for (let c = 0; c < vocabulary; c++) max = Math.max(max, logits[base + c]!);
    let z = 0;
    for (let c = 0; c < vocabulary; c++) z += Math.exp(logits[base + c]! - max);
    sum += Math.log(z) + max - logits[base + target]!;
  }
  return sum / targets.length;
}

/** Perplexity = exp(mean token NLL in nats): the effective number of equally likely next tokens. */
export function perplexity(meanNll: number): number {
  if (!Number.isFinite(meanNll) || meanNll < 0) throw new RetortError('BAD_ARGUMENT', `Perplexity needs a finite, non-negative mean NLL, got ${meanNll}`);
  return Math.exp(meanNll);
}
