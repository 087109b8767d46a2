import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classWeights } from '../../src/distill/classWeights.js';

const close = (got: readonly number[], expected: readonly number[]) =>
  got.forEach((g, i) => assert.ok(Math.abs(g - expected[i]!) <= 1e-9 * Math.max(1, Math.abs(expected[i]!)), `weight ${i}: ${g} vs ${expected[i]}`));

test('inverse-frequency weights, normalised to a sample mean of 1 or a class sum of C', () => {
  // Raw 1/n = [0.01, 0.1, 1]; Σ_c n_c w_c = 3 over 111 samples, so the sample-mean scale is 37.
  close(classWeights([100, 10, 1], { scheme: 'inverse' }), [0.37, 3.7, 37]);
  // Σ raw = 1.11; class-sum scale 3 / 1.11.
  close(classWeights([100, 10, 1], { scheme: 'inverse', normalize: 'class-sum' }), [0.01, 0.1, 1].map((w) => (w * 3) / 1.11));
});

test('effective-number weights (1 - β) / (1 - β^n) (Cui et al. 2019, eq. 3)', () => {
  const raw = [100, 10, 1].map((n) => 0.1 / (1 - 0.9 ** n)); // ≈ 0.1000027, 0.153534, 1
  const sum = raw.reduce((a, w) => a + w, 0);
  close(classWeights([100, 10, 1], { scheme: 'effective', beta: 0.9, normalize: 'class-sum' }), raw.map((w) => (3 * w) / sum));
  // β = 0: every class weighs the same.
  close(classWeights([100, 10, 1], { scheme: 'effective', beta: 0 }), [1, 1, 1]);
  // The sample-mean normalisation: Σ n_c w_c = Σ n_c.
  const w = classWeights([500, 50, 5], { scheme: 'effective', beta: 0.99 });
  assert.ok(Math.abs(500 * w[0]! + 50 * w[1]! + 5 * w[2]! - 555) < 1e-9);
  assert.ok(w[0]! < w[1]! && w[1]! < w[2]!);
  assert.throws(() => classWeights([1, 2], { scheme: 'effective', beta: 1 }), /beta must be in \[0, 1\)/);
});

test('a class with no samples gets weight 0', () => {
  close(classWeights([10, 0, 10], { scheme: 'inverse' }), [1, 0, 1]);
});
