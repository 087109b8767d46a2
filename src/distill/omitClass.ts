/**
 * The transfer set with one class left out (Hinton, Vinyals & Dean 2015, §3): the student never
 * sees an example of class K, so whatever it learns about K comes from the teacher's soft targets
 * on the other classes ("dark knowledge").
 */
import { selectSamples, type Dataset } from '../data/dataset.js';
import { RetortError } from '../util/errors.js';

/** Every sample of `dataset` whose label is not `classIndex`, in order (a copy). */
export function omitClass(dataset: Dataset, classIndex: number): Dataset {
  if (!(Number.isInteger(classIndex) && classIndex >= 0 && classIndex < dataset.numClasses)) {
    throw new RetortError('BAD_ARGUMENT', `Cannot omit class ${classIndex}: dataset "${dataset.name}" has classes 0..${dataset.numClasses - 1}`);
  }
  const kept: number[] = [];
  for (let i = 0; i < dataset.length; i++) if (dataset.labels[i] !== classIndex) kept.push(i);
  return selectSamples(dataset, kept, `${dataset.name}-without-${classIndex}`);
}
