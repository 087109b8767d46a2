/**
 * Per-class weights for class-imbalanced distillation: rare classes get a larger weight on the soft
 * term. Each sample's weight is its true class's weight, gathered by label inside the training graph
 * (classWeightedKd.ts), so no extra per-batch input is needed.
 *
 * - 'inverse': w_c ∝ 1 / n_c (inverse class frequency).
 * - 'effective': w_c ∝ (1 - β) / (1 - β^n_c), the inverse "effective number of samples" of Cui et
 *   al. 2019 ("Class-Balanced Loss Based on Effective Number of Samples", eq. 3); β → 0 gives equal
 *   weights, β → 1 gives inverse frequency. Cui et al. use β in {0.9, 0.99, 0.999, 0.9999}.
 *
 * Normalisation: 'sample-mean' (default) scales the weights so their mean over the training samples is 1,
 * which keeps the weighted term on the scale of the unweighted one (same learning rate, same alpha);
 * 'class-sum' is Cui et al.'s Σ_c w_c = C.
 */
import type { Dataset } from '../data/dataset.js';
import { RetortError } from '../util/errors.js';
import { classCounts } from './longTail.js';

export type ClassWeighting =
  | { scheme: 'inverse'; normalize?: WeightNormalization }
  | { scheme: 'effective'; beta: number; normalize?: WeightNormalization };

export type WeightNormalization = 'sample-mean' | 'class-sum';

export const CLASS_WEIGHTING_SCHEMES = ['inverse', 'effective'] as const;
/** β of the effective number when none is given: Cui et al.'s usual choice for ~10^3-10^4 samples per class. */
export const DEFAULT_EFFECTIVE_BETA = 0.999;

/** One weight per class from the training set's class counts. A class with no samples gets weight 0. */
export function classWeights(counts: readonly number[], weighting: ClassWeighting): number[] {
  if (counts.length === 0) throw new RetortError('BAD_ARGUMENT', 'Class weights need at least one class count');
  if (counts.some((n) => !(Number.isInteger(n) && n >= 0))) throw new RetortError('BAD_ARGUMENT', `Class counts must be non-negative integers, got [${counts.join(', ')}]`);
  let raw: number[];
  switch (weighting.scheme) {
    case 'inverse':
      raw = counts.map((n) => (n > 0 ? 1 / n : 0));
      break;
    case 'effective': {
      const { beta } = weighting;
      if (!(beta >= 0 && beta < 1)) throw new RetortError('BAD_ARGUMENT', `Effective-number beta must be in [0, 1), got ${beta}`);
      // (1 - β^n) / (1 - β) is the effective number E_n; its inverse is the weight.
      raw = counts.map((n) => (n > 0 ? (1 - beta) / (1 - beta ** n) : 0));
      break;
    }
  }
  const normalize = weighting.normalize ?? 'sample-mean';
  const total = counts.reduce((a, n) => a + n, 0);
  const scale =
    normalize === 'class-sum'
      ? counts.filter((n) => n > 0).length / raw.reduce((a, w) => a + w, 0)
      : total / raw.reduce((a, w, c) => a + w * counts[c]!, 0);
  return raw.map((w) => w * scale);
}

/** The class weights of a training set's own class frequencies. */
export function datasetClassWeights(dataset: Dataset, weighting: ClassWeighting): number[] {
  return classWeights(classCounts(dataset.labels, dataset.numClasses), weighting);
}
