/**
 * An in-memory classification dataset: one float row per sample, row-major, and an integer label
 * each. Splits and subsets are views or row gathers, never per-element loops.
 */
import { RetortError } from '../util/errors.js';
import { Rng } from '../util/random.js';

export type Labels = Uint8Array | Int32Array;

export interface Dataset {
  name: string;
  /** length x prod(inputDims) floats, sample-major. */
  inputs: Float32Array;
  /** Per-sample dims, e.g. [784] for an MLP or [1, 28, 28] for a conv net. */
  inputDims: number[];
  labels: Labels;
  numClasses: number;
  length: number;
}

export function sampleSize(dataset: Pick<Dataset, 'inputDims'>): number {
  return dataset.inputDims.reduce((a, b) => a * b, 1);
}

/** A Dataset whose parts agree with each other (lengths, label range), or a DATA_INVALID error. */
export function makeDataset(fields: Omit<Dataset, 'length'>): Dataset {
  const { name, inputs, inputDims, labels, numClasses } = fields;
  const length = labels.length;
  const rowLength = sampleSize(fields);
  if (inputDims.length === 0 || inputDims.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new RetortError('DATA_INVALID', `Dataset "${name}": per-sample dims [${inputDims.join(',')}] must be positive integers`);
  }
  if (inputs.length !== length * rowLength) {
    throw new RetortError(
      'DATA_INVALID',
      `Dataset "${name}": ${length} labels need ${length * rowLength} input floats ([${inputDims.join(',')}] each), got ${inputs.length}`,
    );
  }
  for (let i = 0; i < length; i++) {
    const label = labels[i]!;
    if (label < 0 || label >= numClasses) {
      throw new RetortError('DATA_INVALID', `Dataset "${name}": sample ${i} has label ${label}, expected 0..${numClasses - 1}`);
    }
  }
  return { name, inputs, inputDims: [...inputDims], labels, numClasses, length };
}

/** Samples [start, end) as views on the same memory. */
export function sliceDataset(dataset: Dataset, start: number, end: number, name = `${dataset.name}[${start}:${end}]`): Dataset {
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= dataset.length)) {
    throw new RetortError('BAD_ARGUMENT', `Cannot slice [${start}, ${end}) from dataset "${dataset.name}" of ${dataset.length} samples`);
  }
  const row = sampleSize(dataset);
  return {
    ...dataset,
    name,
    inputs: dataset.inputs.subarray(start * row, end * row),
    labels: dataset.labels.subarray(start, end),
    length: end - start,
  };
}

/** The first `count` samples (views), for quick experiments and tests. */
export function subset(dataset: Dataset, count: number): Dataset {
  return sliceDataset(dataset, 0, Math.min(count, dataset.length), `${dataset.name}[:${count}]`);
}

/** The samples at `indices`, in that order, copied into new memory. */
export function selectSamples(dataset: Dataset, indices: ArrayLike<number>, name = dataset.name): Dataset {
  const row = sampleSize(dataset);
  const inputs = new Float32Array(indices.length * row);
  const labels = new (dataset.labels.constructor as new (n: number) => Labels)(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    if (!(i >= 0 && i < dataset.length)) {
      throw new RetortError('BAD_ARGUMENT', `Sample index ${i} is outside dataset "${dataset.name}" of ${dataset.length} samples`);
    }
    inputs.set(dataset.inputs.subarray(i * row, (i + 1) * row), k * row);
    labels[k] = dataset.labels[i]!;
  }
  return { ...dataset, name, inputs, labels, length: indices.length };
}

/** Same samples, other per-sample dims (e.g. [784] <-> [1, 28, 28]); no copy. */
export function reshapeInputs(dataset: Dataset, inputDims: readonly number[]): Dataset {
  const size = inputDims.reduce((a, b) => a * b, 1);
  if (size !== sampleSize(dataset)) {
    throw new RetortError(
      'BAD_ARGUMENT',
      `Dataset "${dataset.name}" has ${sampleSize(dataset)} values per sample ([${dataset.inputDims.join(',')}]); [${inputDims.join(',')}] holds ${size}`,
    );
  }
  return { ...dataset, inputDims: [...inputDims] };
}

/**
 * How to hold out a validation set: the last `size` samples (the usual MNIST 50k/10k split), or
 * `size` samples drawn by a seeded permutation.
 */
export type ValidationSplit = { method: 'last'; size: number } | { method: 'random'; size: number; seed: number };

export function splitValidation(dataset: Dataset, split: ValidationSplit): { train: Dataset; validation: Dataset } {
  const { size } = split;
  if (!(Number.isInteger(size) && size > 0 && size < dataset.length)) {
    throw new RetortError('BAD_ARGUMENT', `Validation size ${size} must be an integer in 1..${dataset.length - 1} for dataset "${dataset.name}"`);
  }
  const cut = dataset.length - size;
  if (split.method === 'last') {
    return {
      train: sliceDataset(dataset, 0, cut, `${dataset.name}-train`),
      validation: sliceDataset(dataset, cut, dataset.length, `${dataset.name}-validation`),
    };
  }
  const order = new Rng(split.seed).permutation(dataset.length);
  // Sorted within each part so the split keeps the source order (and is easy to inspect).
  const trainIndices = order.slice(0, cut).sort();
  const validationIndices = order.slice(cut).sort();
  return {
    train: selectSamples(dataset, trainIndices, `${dataset.name}-train`),
    validation: selectSamples(dataset, validationIndices, `${dataset.name}-validation`),
  };
}
