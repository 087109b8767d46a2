/** Magnitude pruning: a weight's importance is |w| (Han et al. 2015; the baseline of most pruning work). */
import type { ImportanceScorer } from './scorer.js';

export const magnitudeScorer: ImportanceScorer<{ method: 'magnitude' }> = {
  method: 'magnitude',
  defaultScope: 'layer',
  score: (_layer, weights) => weights.map(Math.abs),
};
