/**
 * Named training sources, as `retort train --data NAME` takes them: each gives a train and a test
 * split in the per-sample layout the model asks for. One entry per source; CSV and NPY files go
 * here next to MNIST. `text:PATH` names a text file for language modelling instead (data/text).
 */
import { RetortError } from '../util/errors.js';
import { reshapeInputs, sampleSize, type Dataset } from './dataset.js';
import { loadMnist } from './mnist.js';
import { loadTextFile, type TextCorpus, type TextCorpusOptions } from './text/corpus.js';

export interface TrainTestData {
  train: Dataset;
  test: Dataset;
}

export interface SourceOptions {
  /**
   * Per-sample dims the model declares (its first input without the batch axis), or null where
   * they are not all known; the data is reshaped to them when the value count matches.
   */
  inputDims: readonly number[] | null;
}

interface DataSource {
  description: string;
  load(options: SourceOptions): TrainTestData;
}

const sameDims = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** The data reshaped to the model's per-sample dims, or a DATA_INVALID error naming both. */
function fitLayout(data: TrainTestData, inputDims: readonly number[] | null, source: string): TrainTestData {
  if (inputDims === null || sameDims(inputDims, data.train.inputDims)) return data;
  const size = inputDims.reduce((a, b) => a * b, 1);
  if (size !== sampleSize(data.train)) {
    throw new RetortError(
      'DATA_INVALID',
      `The model takes [${inputDims.join(', ')}] per sample (${size} values); ${source} samples hold ${sampleSize(data.train)} values ([${data.train.inputDims.join(', ')}])`,
    );
  }
  return { train: reshapeInputs(data.train, inputDims), test: reshapeInputs(data.test, inputDims) };
}

const SOURCES: Record<string, DataSource> = {
  mnist: {
    description: 'MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28 grey, 10 classes',
    load({ inputDims }) {
      // Image layout for models that declare [1, 28, 28] (or any rank > 1), flat [784] otherwise.
      const layout = inputDims !== null && inputDims.length > 1 ? 'image' : 'flat';
      const data = { train: loadMnist({ split: 'train', layout }), test: loadMnist({ split: 'test', layout }) };
      return fitLayout(data, inputDims, 'MNIST');
    },
  },
};

export const DATA_SOURCES: readonly string[] = Object.keys(SOURCES);

export function describeDataSource(name: string): string {
  return SOURCES[name]?.description ?? '';
}

export function loadDataSource(name: string, options: SourceOptions): TrainTestData {
  const source = SOURCES[name];
  if (!source) throw new RetortError('BAD_ARGUMENT', `Unknown data "${name}". Should be one of: ${DATA_SOURCES.join(', ')}, ${TEXT_SOURCE_PREFIX}PATH`);
  return source.load(options);
}

/** The prefix of a text-file source: `text:PATH`. */
export const TEXT_SOURCE_PREFIX = 'text:';

/** The file of a `text:PATH` source, or null when `data` names another source. */
export function textSourcePath(data: string): string | null {
  if (!data.startsWith(TEXT_SOURCE_PREFIX)) return null;
  const path = data.slice(TEXT_SOURCE_PREFIX.length);
  if (path === '') throw new RetortError('BAD_ARGUMENT', `Data "${data}": give the text file after "${TEXT_SOURCE_PREFIX}", e.g. ${TEXT_SOURCE_PREFIX}input.txt`);
  return path;
}

/** A text file tokenized and split into train and validation tokens (the last tenth by default). */
export function loadTextSource(path: string, options: TextCorpusOptions): TextCorpus {
  return loadTextFile(path, options);
}

