/** The arithmetic of bench/temperatureBatch.bench.ts against hand values. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitPowerLaw, gramMatrix, leastSquares, logLogCrossing, traceVariance } from '../../bench/kdVariance/varianceMath.js';

const close = (actual: number, expected: number, tolerance = 1e-9) => assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} vs ${expected}`);

test('traceVariance from the Gram matrix is the summed unbiased per-coordinate variance', () => {
  // Vectors (0,0), (2,0), (1,3): coordinate variances 1 and 3 (divisor n - 1), trace 4.
  const vectors = [Float32Array.of(0, 0), Float32Array.of(2, 0), Float32Array.of(1, 3)];
  const gram = gramMatrix(vectors);
  assert.deepEqual([...gram], [0, 0, 0, 0, 4, 2, 0, 2, 10]);
  close(traceVariance(gram, 3, [0, 1, 2]), 4);
  // A resample with a repeat: (0,0), (0,0), (2,0): variance of x is 4/3, of y 0.
  close(traceVariance(gram, 3, [0, 0, 1]), 4 / 3);
  assert.ok(Number.isNaN(traceVariance(gram, 3, [1])));
});

test('leastSquares recovers an exact line and the textbook fit of noisy points', () => {
  const exact = leastSquares([[1, 0], [1, 1], [1, 2]], [1, 3, 5]);
  close(exact[0]!, 1);
  close(exact[1]!, 2);
  // y = 0, 1, 1 at x = 0, 1, 2: slope 1/2, intercept 1/6.
  const [a, b] = leastSquares([[1, 0], [1, 1], [1, 2]], [0, 1, 1]);
  close(a!, 1 / 6);
  close(b!, 1 / 2);
  assert.throws(() => leastSquares([[1, 1], [2, 2]], [1, 2]), /dependent columns/);
});

test('fitPowerLaw recovers V = 3 B^-1 T^-4 and its level-set exponent k = -1/4', () => {
  const cells = [16, 64, 256].flatMap((batch) => [1, 4, 20].map((temperature) => ({ batch, temperature, variance: 3 * batch ** -1 * temperature ** -4 })));
  const fit = fitPowerLaw(cells);
  close(fit.intercept, Math.log(3), 1e-9);
  close(fit.batchExponent, -1, 1e-9);
  close(fit.temperatureExponent, -4, 1e-9);
  close(fit.k, -0.25, 1e-9);
});

test('logLogCrossing interpolates in log–log and reports no crossing as null', () => {
  // y = x^-2 through (1, 1), (10, 0.01): y = 0.1 at x = sqrt(10).
  close(logLogCrossing([1, 10], [1, 0.01], 0.1)!, Math.sqrt(10), 1e-12);
  close(logLogCrossing([1, 2, 4], [1, 4, 2], 3)!, 2 ** (Math.log(3) / Math.log(4)), 1e-12);
  assert.equal(logLogCrossing([1, 2, 4], [1, 2, 3], 10), null);
});
