/**
 * Long-tailed training splits, as the class-imbalance literature builds them from balanced data
 * (Cui et al. 2019, "Class-Balanced Loss Based on Effective Number of Samples", §6; Cao et al. 2019,
 * LDAM): class c keeps n_c = floor(n_max * ratio^(-c / (C - 1))) samples, an exponential profile from
 * n_max for class 0 down to n_max / ratio for the last class. Which samples of a class are kept is a
 * seeded draw, so the same (dataset, ratio, seed) always gives the same split.
 */
import { selectSamples, type Dataset } from '../data/dataset.js';
import { RetortError } from '../util/errors.js';
import { Rng } from '../util/random.js';

export interface LongTailOptions {
  /** n_max / n_min, e.g. 100 for the usual 100:1 split; 1 keeps the classes balanced. */
  imbalanceRatio: number;
  seed: number;
  /** Samples of the largest (first) class; default the smallest class count of the dataset, so every class can fill its quota. */
  maxPerClass?: number;
}

/** Samples per label, in class order. */
export function classCounts(labels: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]!++;
  return counts;
}

/** n_c = floor(maxPerClass * ratio^(-c / (C - 1))) for c = 0..C-1 (at least 1 each). */
export function longTailProfile(classes: number, maxPerClass: number, imbalanceRatio: number): number[] {
  if (!(Number.isInteger(classes) && classes >= 2)) throw new RetortError('BAD_ARGUMENT', `A long-tailed split needs at least 2 classes, got ${classes}`);
  if (!(Number.isInteger(maxPerClass) && maxPerClass >= 1)) throw new RetortError('BAD_ARGUMENT', `Long-tail maxPerClass must be a positive integer, got ${maxPerClass}`);
  if (!(imbalanceRatio >= 1)) throw new RetortError('BAD_ARGUMENT', `Long-tail imbalance ratio must be >= 1 (n_max / n_min), got ${imbalanceRatio}`);
  return Array.from({ length: classes }, (_, c) => Math.max(1, Math.floor(maxPerClass * imbalanceRatio ** (-c / (classes - 1)) + 1e-9)));
}

/**
 * The long-tailed subset of `dataset`: each class's kept samples are the first n_c of a seeded
 * permutation of its members; the result keeps the dataset's order.
 */
export function longTailedSubset(dataset: Dataset, options: LongTailOptions): Dataset {
  const counts = classCounts(dataset.labels, dataset.numClasses);
  const maxPerClass = options.maxPerClass ?? Math.min(...counts);
  const profile = longTailProfile(dataset.numClasses, maxPerClass, options.imbalanceRatio);
  const short = profile.findIndex((n, c) => n > counts[c]!);
  if (short >= 0) {
    throw new RetortError('BAD_ARGUMENT', `Long-tailed split of "${dataset.name}": class ${short} needs ${profile[short]} samples and has ${counts[short]}; lower maxPerClass`);
  }
  const members: number[][] = Array.from({ length: dataset.numClasses }, () => []);
  for (let i = 0; i < dataset.length; i++) members[dataset.labels[i]!]!.push(i);
  const rng = new Rng(options.seed);
  const kept: number[] = [];
  members.forEach((rows, c) => {
    const order = rng.permutation(rows.length);
    for (let k = 0; k < profile[c]!; k++) kept.push(rows[order[k]!]!);
  });
  kept.sort((a, b) => a - b);
  return selectSamples(dataset, kept, `${dataset.name}-longtail${options.imbalanceRatio}`);
}
