/**
 * The jitter augmentation for a dataset's images (Hinton et al. 2015, §3: MNIST images "jittered by up
 * to two pixels in any direction"): the samples' own [C, H, W], or 28x28 when they are flat MNIST rows.
 */
import { sampleSize, type Dataset } from '../data/dataset.js';
import { MNIST_IMAGE_DIMS } from '../data/mnist.js';
import { RetortError } from '../util/errors.js';
import type { Augmentation } from './trainer.js';

export function jitterAugmentation(dataset: Pick<Dataset, 'inputDims'>, maxShift: number, option = 'jitter'): Augmentation {
  const dims = dataset.inputDims;
  if (dims.length === 3) return { kind: 'jitter', maxShift, channels: dims[0]!, height: dims[1]!, width: dims[2]! };
  const [, height, width] = MNIST_IMAGE_DIMS;
  if (sampleSize(dataset) !== height * width) throw new RetortError('BAD_ARGUMENT', `${option}: samples of [${dims.join(', ')}] are not 28x28 images`);
  return { kind: 'jitter', maxShift, height, width };
}
