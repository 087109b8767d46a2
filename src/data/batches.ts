/**
 * Mini-batches: which samples go together in an epoch (seeded shuffle), and gathering them into
 * preallocated buffers shaped for ORT (float inputs, int64 labels), one row copy per sample.
 */
import { RetortError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { sampleSize, type Dataset } from './dataset.js';

export interface BatchOrderOptions {
  batchSize: number;
  /**
   * A seed or a running Rng shuffles the samples; false keeps dataset order (evaluation). Pass one
   * Rng across epochs to get a fresh, reproducible order each epoch.
   */
  shuffle: number | Rng | false;
  /**
   * Drop the last incomplete batch. Training graphs have a fixed batch size, so training drops it;
   * evaluation keeps it.
   */
  dropLast: boolean;
}

/** One epoch's batches as index lists (views on one permutation). */
export function batchIndices(length: number, options: BatchOrderOptions): Uint32Array[] {
  const { batchSize, shuffle, dropLast } = options;
  if (!(Number.isInteger(batchSize) && batchSize > 0)) {
    throw new RetortError('BAD_ARGUMENT', `Batch size must be a positive integer, got ${batchSize}`);
  }
  let order: Uint32Array;
  if (shuffle === false) {
    order = new Uint32Array(length);
    for (let i = 0; i < length; i++) order[i] = i;
  } else {
    order = (typeof shuffle === 'number' ? new Rng(shuffle) : shuffle).permutation(length);
  }
  const batches: Uint32Array[] = [];
  for (let start = 0; start < length; start += batchSize) {
    const end = Math.min(start + batchSize, length);
    if (end - start < batchSize && dropLast) break;
    batches.push(order.subarray(start, end));
  }
  return batches;
}

/** Number of batches per epoch, without building them. */
export function batchCount(length: number, batchSize: number, dropLast: boolean): number {
  return dropLast ? Math.floor(length / batchSize) : Math.ceil(length / batchSize);
}

export interface Batch {
  /** size x prod(inputDims) floats. */
  inputs: Float32Array;
  /** Class indices as int64, the type ONNX losses and ArgMax comparisons use. */
  labels: BigInt64Array;
  /** [size, ...inputDims], the input tensor's dims. */
  dims: number[];
  size: number;
}

/** Buffers for batches of up to `capacity` samples of `dataset`; reuse them across steps. */
export function allocateBatch(dataset: Pick<Dataset, 'inputDims'>, capacity: number): Batch {
  return {
    inputs: new Float32Array(capacity * sampleSize(dataset)),
    labels: new BigInt64Array(capacity),
    dims: [capacity, ...dataset.inputDims],
    size: capacity,
  };
}

/**
 * Copy the samples at `indices` into `buffer` (from allocateBatch). The result views the buffer's
 * first `indices.length` rows, so it is valid until the buffer is gathered into again.
 */
export function gatherBatch(dataset: Dataset, indices: ArrayLike<number>, buffer: Batch): Batch {
  const row = sampleSize(dataset);
  const size = indices.length;
  if (size > buffer.labels.length || buffer.inputs.length < buffer.labels.length * row) {
    throw new RetortError(
      'BAD_ARGUMENT',
      `A batch of ${size} samples of [${dataset.inputDims.join(',')}] does not fit a buffer for ${buffer.labels.length} samples of ${buffer.inputs.length / Math.max(1, buffer.labels.length)} values`,
    );
  }
  const { inputs, labels } = dataset;
  for (let k = 0; k < size; k++) {
    const i = indices[k]!;
    if (!(i >= 0 && i < dataset.length)) {
      throw new RetortError('BAD_ARGUMENT', `Sample index ${i} is outside dataset "${dataset.name}" of ${dataset.length} samples`);
    }
    buffer.inputs.set(inputs.subarray(i * row, i * row + row), k * row);
    buffer.labels[k] = BigInt(labels[i]!);
  }
  return {
    inputs: buffer.inputs.subarray(0, size * row),
    labels: buffer.labels.subarray(0, size),
    dims: [size, ...dataset.inputDims],
    size,
  };
}

/**
 * One epoch of gathered batches sharing one buffer: consume each batch (e.g. await the ORT step)
 * before asking for the next.
 */
export function* epochBatches(dataset: Dataset, options: BatchOrderOptions): Generator<Batch> {
  const buffer = allocateBatch(dataset, options.batchSize);
  for (const indices of batchIndices(dataset.length, options)) yield gatherBatch(dataset, indices, buffer);
}
