import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readIdx } from '../../src/data/idx.js';
import { loadMnist, mnistDataDir } from '../../src/data/mnist.js';
import { isRetortError } from '../../src/util/errors.js';

test('the real MNIST files have the published sizes and first labels', () => {
  const dir = mnistDataDir();
  assert.ok(existsSync(join(dir, 'train-images-idx3-ubyte')), `no MNIST in ${dir}`);
  assert.deepEqual(readIdx(join(dir, 'train-images-idx3-ubyte')).dims, [60000, 28, 28]);
  assert.deepEqual(readIdx(join(dir, 't10k-images-idx3-ubyte')).dims, [10000, 28, 28]);
  const trainLabels = readIdx(join(dir, 'train-labels-idx1-ubyte'));
  assert.deepEqual(trainLabels.dims, [60000]);
  assert.equal(trainLabels.data[0], 5);
});

test('loadMnist gives [0,1] floats, per-class counts as published, and image layout on the same memory', () => {
  const started = performance.now();
  const testSet = loadMnist({ split: 'test' });
  const elapsed = performance.now() - started;
  assert.equal(testSet.length, 10000);
  assert.deepEqual(testSet.inputDims, [784]);
  assert.equal(testSet.inputs.length, 10000 * 784);
  assert.equal(testSet.numClasses, 10);
  assert.equal(testSet.labels[0], 7);
  const histogram = new Array<number>(10).fill(0);
  for (const label of testSet.labels) histogram[label]!++;
  assert.deepEqual(histogram, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  let min = Infinity;
  let max = -Infinity;
  for (const v of testSet.inputs.subarray(0, 784 * 100)) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  assert.equal(min, 0);
  assert.equal(max, 1);
  assert.ok(elapsed < 5000, `loading the test split took ${elapsed.toFixed(0)} ms`);

  const images = loadMnist({ split: 'test', layout: 'image' });
  assert.deepEqual(images.inputDims, [1, 28, 28]);
  assert.deepEqual(images.inputs.subarray(0, 784), testSet.inputs.subarray(0, 784));
});

test('loadMnist loads all 60,000 training images', () => {
  const started = performance.now();
  const train = loadMnist({ split: 'train' });
  const elapsed = performance.now() - started;
  assert.equal(train.length, 60000);
  assert.equal(train.inputs.length, 60000 * 784);
  assert.equal(train.labels[0], 5);
  assert.ok(elapsed < 10000, `loading the train split took ${elapsed.toFixed(0)} ms`);
});

test('a folder without MNIST is FILE_NOT_FOUND naming the file', () => {
  assert.throws(
    () => loadMnist({ split: 'test', dir: '/nonexistent-mnist' }),
    (e: unknown) => isRetortError(e) && e.code === 'FILE_NOT_FOUND' && e.message.includes('/nonexistent-mnist/t10k-images-idx3-ubyte'),
  );
});
