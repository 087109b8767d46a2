/**
 * Movement pruning (Sanh et al. 2020, "Movement Pruning: Adaptivity by Fine-Tuning"): importance
 * S = -Σ_t W^(t) ⊙ ∂L/∂W^(t), accumulated during training, so weights moving away from zero score
 * high. The accumulation is a parameter statistic of the training graph: carried state updated by the
 * same ORT call as the step, no gradients leave the graph.
 */
import { RetortError } from '../../util/errors.js';
import type { ParameterStatistic } from '../../train/trainingGraph.js';
import { evidenceFor, type ImportanceScorer } from './scorer.js';

export const MOVEMENT_STATISTIC = 'movement';

/** The training-graph statistic S ← S - W ⊙ dL/dW for the given parameters. */
export function movementStatistic(parameters: readonly string[]): ParameterStatistic {
  return { name: MOVEMENT_STATISTIC, parameters, update: (b, previous, parameter, gradient) => b.sub(previous, b.mul(parameter, gradient)) };
}

export const movementScorer: ImportanceScorer<{ method: 'movement'; scores: ReadonlyMap<string, Float32Array> }> = {
  method: 'movement',
  defaultScope: 'layer',
  score: (layer, weights, spec) => {
    const scores = evidenceFor('Movement scores', spec.scores, layer);
    if (scores.length !== weights.length) throw new RetortError('BAD_ARGUMENT', `Movement scores for "${layer.name}" hold ${scores.length} values, the weight ${weights.length}`);
    return Float32Array.from(scores);
  },
};
