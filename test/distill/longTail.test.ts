import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDataset } from '../../src/data/dataset.js';
import { classCounts, longTailedSubset, longTailProfile } from '../../src/distill/longTail.js';

test('the exponential long-tail profile at 100:1 over 10 classes (Cui et al. 2019)', () => {
  // floor(100 * 100^(-c/9)): 100, 59.9, 35.9, 21.5, 12.9, 7.7, 4.6, 2.8, 1.7, 1.0
  assert.deepEqual(longTailProfile(10, 100, 100), [100, 59, 35, 21, 12, 7, 4, 2, 1, 1]);
  assert.deepEqual(longTailProfile(3, 50, 1), [50, 50, 50]);
  assert.deepEqual(longTailProfile(2, 40, 10), [40, 4]);
  assert.throws(() => longTailProfile(10, 100, 0.5), /imbalance ratio/);
});

function balanced(perClass: number, classes: number) {
  const labels = new Uint8Array(perClass * classes).map((_, i) => i % classes);
  return makeDataset({ name: 'balanced', inputs: Float32Array.from({ length: labels.length * 2 }, (_, i) => i), inputDims: [2], labels, numClasses: classes });
}

test('a long-tailed subset keeps exactly the profile per class, seeded', () => {
  const data = balanced(30, 4);
  const split = longTailedSubset(data, { imbalanceRatio: 10, seed: 7 });
  // floor(30 * 10^(-c/3)): 30, 13.9, 6.46, 3.0
  assert.deepEqual(classCounts(split.labels, 4), [30, 13, 6, 3]);
  // Rows travel with their labels (input row i is [2i, 2i+1], label i % 4).
  for (let k = 0; k < split.length; k++) assert.equal((split.inputs[2 * k]! / 2) % 4, split.labels[k]);
  const again = longTailedSubset(data, { imbalanceRatio: 10, seed: 7 });
  assert.deepEqual([...again.inputs], [...split.inputs]);
  const other = longTailedSubset(data, { imbalanceRatio: 10, seed: 8 });
  assert.notDeepEqual([...other.inputs], [...split.inputs]);
  assert.throws(() => longTailedSubset(data, { imbalanceRatio: 10, seed: 0, maxPerClass: 31 }), /class 0 needs 31 samples and has 30/);
});
