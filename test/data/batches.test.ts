import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocateBatch, batchCount, batchIndices, epochBatches, gatherBatch } from '../../src/data/batches.js';
import { makeDataset, type Dataset } from '../../src/data/dataset.js';
import { Rng } from '../../src/util/random.js';

/** Sample i = [i, -i, 10 i], label i % 4. */
function indexed(n: number): Dataset {
  const inputs = new Float32Array(3 * n);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) inputs.set([i, -i, 10 * i], 3 * i);
  for (let i = 0; i < n; i++) labels[i] = i % 4;
  return makeDataset({ name: 'toy', inputs, inputDims: [3], labels, numClasses: 4 });
}

test('unshuffled batches keep order and keep or drop the remainder', () => {
  const kept = batchIndices(10, { batchSize: 4, shuffle: false, dropLast: false });
  assert.deepEqual(kept.map((b) => [...b]), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  const dropped = batchIndices(10, { batchSize: 4, shuffle: false, dropLast: true });
  assert.equal(dropped.length, 2);
  assert.equal(batchCount(10, 4, true), 2);
  assert.equal(batchCount(10, 4, false), 3);
});

test('shuffled batches are a seeded permutation; one Rng gives a fresh order each epoch', () => {
  const a = batchIndices(100, { batchSize: 10, shuffle: 3, dropLast: false }).flatMap((b) => [...b]);
  const b = batchIndices(100, { batchSize: 10, shuffle: 3, dropLast: false }).flatMap((b) => [...b]);
  assert.deepEqual(a, b);
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
  assert.notDeepEqual(a, Array.from({ length: 100 }, (_, i) => i));
  const rng = new Rng(3);
  const epoch1 = batchIndices(100, { batchSize: 10, shuffle: rng, dropLast: true }).flatMap((b) => [...b]);
  const epoch2 = batchIndices(100, { batchSize: 10, shuffle: rng, dropLast: true }).flatMap((b) => [...b]);
  assert.deepEqual(epoch1, a);
  assert.notDeepEqual(epoch2, epoch1);
});

test('gatherBatch copies rows and int64 labels into the preallocated buffer', () => {
  const data = indexed(10);
  const buffer = allocateBatch(data, 4);
  assert.deepEqual(buffer.dims, [4, 3]);
  const batch = gatherBatch(data, [7, 2, 9], buffer);
  assert.deepEqual(batch.dims, [3, 3]);
  assert.equal(batch.size, 3);
  assert.deepEqual([...batch.inputs], [7, -7, 70, 2, -2, 20, 9, -9, 90]);
  assert.deepEqual([...batch.labels], [3n, 2n, 1n]);
  assert.equal(batch.inputs.buffer, buffer.inputs.buffer);
  assert.throws(() => gatherBatch(data, [0, 1, 2, 3, 4], buffer), /does not fit/);
  assert.throws(() => gatherBatch(data, [10], buffer), /outside dataset/);
});

test('epochBatches covers the dataset once with full batches when dropping the last', () => {
  const data = indexed(25);
  const seen: number[] = [];
  for (const batch of epochBatches(data, { batchSize: 8, shuffle: 1, dropLast: true })) {
    assert.equal(batch.size, 8);
    for (let k = 0; k < batch.size; k++) seen.push(batch.inputs[3 * k]!);
  }
  assert.equal(seen.length, 24);
  assert.equal(new Set(seen).size, 24);
});

test('gathering a 60k x 784 epoch is fast', () => {
  const row = 784;
  const n = 60000;
  const data = makeDataset({ name: 'big', inputs: new Float32Array(n * row), inputDims: [row], labels: new Uint8Array(n), numClasses: 10 });
  const started = performance.now();
  let batches = 0;
  for (const batch of epochBatches(data, { batchSize: 128, shuffle: 0, dropLast: true })) batches += batch.size > 0 ? 1 : 0;
  const elapsed = performance.now() - started;
  assert.equal(batches, 468);
  assert.ok(elapsed < 2000, `one epoch of gathers took ${elapsed.toFixed(0)} ms`);
});
