/** The importance scorers, registered from one list, and scoring of all prunable layers at once. */
import type { PrunableLayer } from '../layers.js';
import { hanScorer } from './han.js';
import { magnitudeScorer } from './magnitude.js';
import { movementScorer } from './movement.js';
import { randomScorer } from './random.js';
import { importanceScorers, registerScorer, type ImportanceScorer, type ImportanceSpec } from './scorer.js';
import { wandaScorer } from './wanda.js';

export * from './scorer.js';
export { movementStatistic, MOVEMENT_STATISTIC } from './movement.js';
export { standardDeviation } from './han.js';

export function registerAllScorers(): void {
  registerScorer(magnitudeScorer);
  registerScorer(hanScorer);
  registerScorer(movementScorer);
  registerScorer(wandaScorer);
  registerScorer(randomScorer);
}

export function importanceScorer(method: string): ImportanceScorer {
  registerAllScorers();
  return importanceScorers.get(method);
}

/** One score per weight of every layer, by parameter name. */
export function scoreLayers(layers: readonly PrunableLayer[], weights: ReadonlyMap<string, Float32Array>, spec: ImportanceSpec): Map<string, Float32Array> {
  const scorer = importanceScorer(spec.method);
  return new Map(layers.map((layer, i) => [layer.name, scorer.score(layer, weights.get(layer.name)!, spec, i)]));
}
