/**
 * Calibration data readers (ORT's CalibrationDataReader): a source of input feeds, one batch per
 * call, ending with null. Calibrators pull from it once, so any number of batches can stream by.
 */
import { epochBatches } from '../../data/batches.js';
import { subset, type Dataset } from '../../data/dataset.js';
import { Graph } from '../../onnx/graph.js';
import type { ModelProto } from '../../onnx/proto.js';
import type { Feeds } from '../../runtime/session.js';
import { floatTensor } from '../../runtime/tensors.js';
import { RetortError } from '../../util/errors.js';

export interface CalibrationDataReader {
  /** The next batch of feeds, or null when the calibration set is exhausted. */
  next(): Feeds | null;
}

export interface DatasetReaderOptions {
  /** The model input the samples feed. */
  inputName: string;
  /** First `size` samples of the dataset (in order; calibration is deterministic). */
  size: number;
  batchSize: number;
}

/** Feeds the first `size` samples of a dataset, `batchSize` per batch (the last may be partial). */
export function datasetCalibrationReader(dataset: Dataset, options: DatasetReaderOptions): CalibrationDataReader {
  const { size, batchSize, inputName } = options;
  if (!(Number.isInteger(size) && size > 0)) throw new RetortError('BAD_ARGUMENT', `Calibration size must be a positive integer, got ${size}`);
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new RetortError('BAD_ARGUMENT', `Calibration batch size must be a positive integer, got ${batchSize}`);
  const samples = subset(dataset, Math.min(size, dataset.length));
  const batches = epochBatches(samples, { batchSize, shuffle: false, dropLast: false });
  return {
    next() {
      const step = batches.next();
      if (step.done) return null;
      // The batch buffer is reused by the generator; copy before handing it to ORT.
      return { [inputName]: floatTensor(Float32Array.from(step.value.inputs), step.value.dims) };
    },
  };
}

/** The first `size` samples of a dataset fed to the model's (first) data input. */
export function modelCalibrationReader(model: ModelProto, dataset: Dataset, options: Omit<DatasetReaderOptions, 'inputName'>): CalibrationDataReader {
  return datasetCalibrationReader(dataset, { ...options, inputName: new Graph(model.graph!).dataInputs[0]!.name });
}

/** A reader over batches already in memory (tests, small sets). */
export function arrayCalibrationReader(batches: readonly Feeds[]): CalibrationDataReader {
  let index = 0;
  return { next: () => batches[index++] ?? null };
}
