/**
 * Classification batches: each epoch a seeded permutation of the samples (from seed and epoch, so a
 * resumed run recomputes it), cut into full batches gathered into one reused buffer, optionally
 * augmented; evaluation is softmax cross-entropy and accuracy over the split.
 */
import { jitterImages } from '../../data/augment.js';
import { allocateBatch, batchCount, gatherBatch } from '../../data/batches.js';
import { RetortError } from '../../util/errors.js';
import { Rng } from '../../util/random.js';
import { floatTensor, int64Tensor } from '../../runtime/tensors.js';
import { evaluateClassifier } from '../evaluate.js';
import { deriveSeed, epochPermutation } from '../seeds.js';
import { isTokenSequence, type TrainData, type TrainingTask } from './task.js';

/** Hinton et al. 2015: each training image shifted by up to `maxShift` pixels, zero filled. */
export type Augmentation = { kind: 'jitter'; maxShift: number; height: number; width: number; channels?: number };

export interface ClassificationTaskOptions {
  batchSize: number;
  seed: number;
  augmentation?: Augmentation;
  evalBatchSize?: number;
}

export function classificationTask(data: TrainData, options: ClassificationTaskOptions): TrainingTask {
  const { batchSize, seed, augmentation } = options;
  const train = data.train;
  if (train.length < batchSize) {
    throw new RetortError('BAD_ARGUMENT', `Trainer: dataset "${train.name}" has ${train.length} samples, fewer than one batch of ${batchSize}`);
  }
  const buffer = allocateBatch(train, batchSize);
  let order: { epoch: number; permutation: Uint32Array } = { epoch: -1, permutation: new Uint32Array(0) };
  return {
    kind: 'classification',
    stepsPerEpoch: batchCount(train.length, batchSize, true),
    positionsPerSample: 1,
    takesExtraFeeds: true,
    inputShapes: () => undefined,
    batch(epoch, k, step, slots) {
      if (order.epoch !== epoch) order = { epoch, permutation: epochPermutation(seed, epoch, train.length) };
      const indices = order.permutation.subarray(k * batchSize, (k + 1) * batchSize);
      const batch = gatherBatch(train, indices, buffer);
      if (augmentation) augment(augmentation, batch.inputs, seed, step);
      return {
        input: floatTensor(batch.inputs, slots.input.dims),
        labels: int64Tensor(batch.labels, slots.labels.dims),
        view: { indices, inputs: batch.inputs },
      };
    },
    evaluate(session, split) {
      if (isTokenSequence(split)) throw new RetortError('BAD_ARGUMENT', `A classification trainer cannot evaluate token sequence "${split.name}"`);
      return evaluateClassifier(session, split, options.evalBatchSize ?? 1000);
    },
    describe: (e) => `loss ${e.loss.toFixed(4)} accuracy ${(100 * e.accuracy).toFixed(2)}%`,
  };
}

function augment(augmentation: Augmentation, inputs: Float32Array, seed: number, step: number): void {
  // A seed stream of its own, apart from shuffling and dropout.
  const rng = new Rng(deriveSeed(seed, step, 0x6a177e5));
  jitterImages(inputs, { ...augmentation, rng });
}
