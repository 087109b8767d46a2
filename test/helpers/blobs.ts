/** Synthetic classification data for quick training tests. */
import { makeDataset, type Dataset } from '../../src/data/dataset.js';
import { Rng } from '../../src/util/random.js';

/** 4 Gaussian blobs in 20 dimensions: a small, learnable classification set. */
export function blobs(count: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const inputs = new Float32Array(count * 20);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 4;
    for (let j = 0; j < 20; j++) inputs[i * 20 + j] = rng.normal() * 0.5 + (j % 4 === i % 4 ? 2 : 0);
  }
  return makeDataset({ name: 'blobs', inputs, inputDims: [20], labels, numClasses: 4 });
}
