/** Random importance, seeded per layer: the baseline any criterion must beat. */
import { deriveSeed } from '../../train/seeds.js';
import { Rng } from '../../util/random.js';
import type { ImportanceScorer } from './scorer.js';

export const randomScorer: ImportanceScorer<{ method: 'random'; seed: number }> = {
  method: 'random',
  defaultScope: 'layer',
  score: (_layer, weights, spec, layerIndex) => {
    const rng = new Rng(deriveSeed(spec.seed, layerIndex, 0x9a11d));
    return weights.map(() => rng.next());
  },
};
