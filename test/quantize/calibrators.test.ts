import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AbsHistogram } from '../../src/quantize/calibration/histogram.js';
import { percentileThreshold } from '../../src/quantize/calibration/percentile.js';
import { entropyThreshold } from '../../src/quantize/calibration/entropy.js';
import { mseThreshold } from '../../src/quantize/calibration/mse.js';
import { collectStatistics } from '../../src/quantize/calibration/collect.js';
import { arrayCalibrationReader } from '../../src/quantize/calibration/reader.js';
import { calibratorFor } from '../../src/quantize/calibration/registry.js';
import { buildMlp } from '../../src/models/mlp.js';
import { floatTensor } from '../../src/runtime/tensors.js';
import { Rng } from '../../src/util/random.js';

test('minmax: ReduceMin/ReduceMax over batches give the exact extremes', async () => {
  const model = buildMlp({ hidden: [3], inputDims: [4], seed: 1 });
  const batches = [Float32Array.of(0.5, -2, 3, 1, 0, 0, 0, 0), Float32Array.of(7.25, -1, 0, 0, 0, 0, 0, -3.5)];
  const reader = arrayCalibrationReader(batches.map((b) => ({ input: floatTensor(b, [2, 4]) })));
  const stats = await collectStatistics(model, ['input'], reader, { kind: 'minmax' });
  const range = calibratorFor({ method: 'minmax' }).range(stats.get('input')!, { method: 'minmax' } as never, { levels: 128 });
  assert.deepEqual(range, { min: -3.5, max: 7.25 });
});

test('histogram: fixed bins, range grown by exact pairwise merging', () => {
  const h = new AbsHistogram(4);
  h.add([0.5]);
  assert.equal(h.maxEdge, 0.5);
  h.add([-3]);
  // 0.5 -> 1 -> 2 -> 4: the first value ends in bin 0 (width 1), -3 in bin 3.
  assert.equal(h.maxEdge, 4);
  assert.deepEqual([...h.counts], [1, 0, 0, 1]);
  assert.equal(h.counts.length, 4);
  assert.equal(h.min, -3);
  assert.equal(h.max, 0.5);
});

test('histogram memory does not grow with the number of batches', () => {
  const h = new AbsHistogram();
  const rng = new Rng(3);
  for (let b = 0; b < 50; b++) h.add(Float32Array.from({ length: 1000 }, () => (rng.next() - 0.5) * (b + 1)));
  assert.equal(h.counts.length, 2048);
  assert.equal(h.total, 50_000);
  assert.ok(h.maxEdge >= 25 && h.maxEdge < 100, `maxEdge ${h.maxEdge}`);
});

test('percentile: |x| = 1..1000 in 1000 bins gives the 99th percentile within one bin', () => {
  const h = new AbsHistogram(1000);
  h.add(Float32Array.from({ length: 1000 }, (_, i) => (i % 2 ? -1 : 1) * (i + 1)));
  const t = percentileThreshold(h.counts, h.binWidth, 99);
  // numpy.percentile(1..1000, 99) = 990.01
  assert.ok(Math.abs(t - 990.01) <= h.binWidth, `threshold ${t}`);
  assert.equal(percentileThreshold(h.counts, h.binWidth, 100), 1000);
});

test('entropy: mass within the first `levels` bins is kept whole (KL 0 at i = levels)', () => {
  const counts = new Float64Array(16);
  counts.set([5, 3, 2, 1]);
  assert.equal(entropyThreshold(counts, 0.5, 4), 4 * 0.5);
});

test('entropy: a far outlier is clipped; the threshold stays inside the bulk\'s tail', () => {
  // Laplace(0, 1) magnitudes, 2048 bins up to 64 (one outlier there); 128 levels as for int8.
  const rng = new Rng(7);
  const values = Float32Array.from({ length: 200_000 }, () => -Math.log(1 - rng.next()));
  const h = new AbsHistogram();
  h.add(values);
  h.add([64]);
  const t = entropyThreshold(h.counts, h.binWidth, 128);
  // Bounded, not derived: above the 99th percentile of |x| (ln 100 = 4.6) and far below the outlier.
  assert.ok(t > Math.log(100) && t < 32, `threshold ${t}`);
});

test('mse: two-mass histogram has the derivable optimum t = 8 bins', () => {
  // 12 values in bin 0, one at bin 15 (centre 15.5), levels 2 (step = t): E(i) = 12·i²/12 + (15.5 - i)²
  // for i < 16 is minimal at i = 8 (120.25; i = 7 gives 121.25), and E(16) = 13·256/12 = 277.3.
  const counts = new Float64Array(16);
  counts[0] = 12;
  counts[15] = 1;
  assert.equal(mseThreshold(counts, 1, 2), 8);
});
