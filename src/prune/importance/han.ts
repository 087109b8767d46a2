/**
 * Han et al. 2015, "Learning both Weights and Connections": a weight is pruned when |w| falls below a
 * quality parameter times the standard deviation of its layer's weights. The score is |w| / σ_layer,
 * so one global threshold (the quality parameter) is Han's rule, and a global target sparsity finds
 * the quality parameter that reaches it.
 */
import type { ImportanceScorer } from './scorer.js';

export function standardDeviation(values: Float32Array): number {
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let variance = 0;
  for (const v of values) variance += (v - mean) ** 2;
  return Math.sqrt(variance / values.length);
}

export const hanScorer: ImportanceScorer<{ method: 'han' }> = {
  method: 'han',
  defaultScope: 'global',
  score: (_layer, weights) => {
    const sigma = standardDeviation(weights);
    // A constant layer (σ = 0) has nothing to tell apart; its weights score by magnitude alone.
    return weights.map((w) => Math.abs(w) / (sigma > 0 ? sigma : 1));
  },
};
