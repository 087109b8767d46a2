/**
 * Wanda (Sun et al. 2023, "A Simple and Effective Pruning Approach for Large Language Models"):
 * S_ij = |W_ij| · ||X_j||_2, X_j the j-th input feature over the calibration tokens (samples and,
 * for convolutions, spatial positions). Scores are compared within each output row; no retraining.
 */
import { RetortError } from '../../util/errors.js';
import { evidenceFor, type ImportanceScorer } from './scorer.js';

export const wandaScorer: ImportanceScorer<{ method: 'wanda'; activationNorms: ReadonlyMap<string, Float32Array> }> = {
  method: 'wanda',
  defaultScope: 'row',
  score: (layer, weights, spec) => {
    const norms = evidenceFor('Wanda activation norms', spec.activationNorms, layer);
    const scores = new Float32Array(weights.length);
    for (let r = 0; r < layer.rows; r++) {
      for (let c = 0; c < layer.cols; c++) {
        const flat = layer.order[r * layer.cols + c]!;
        const feature = layer.layout.featureOf(r, layer.columnFeature[c]!);
        const norm = norms[feature];
        if (norm === undefined) throw new RetortError('BAD_ARGUMENT', `Wanda: layer "${layer.name}" reads activation feature ${feature}, but only ${norms.length} norms were given`);
        scores[flat] = Math.abs(weights[flat]!) * norm;
      }
    }
    return scores;
  },
};
