/** Bootstrap intervals on a known distribution, the paired bootstrap's sign, and UQ fidelity. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapInterval, meanOf, metricIntervals, onRows, pairedBootstrap, quantile, uncertaintyFidelity, uncertaintyFidelityReport } from '../../src/eval/bootstrap.js';
import { accuracy } from '../../src/eval/metrics/classification.js';
import { brierScore } from '../../src/eval/metrics/scoring.js';
import { fromProbabilities } from '../../src/eval/metrics/predictions.js';
import { Rng } from '../../src/util/random.js';

test('95% interval for the mean of 1000 Bernoulli(0.3) draws holds 0.3 and has the normal width within 20%', () => {
  const rng = new Rng(2024);
  const draws = Float64Array.from({ length: 1000 }, () => (rng.next() < 0.3 ? 1 : 0));
  const interval = bootstrapInterval(draws.length, meanOf(draws), { resamples: 2000, confidence: 0.95, seed: 7 });
  const normalWidth = 2 * 1.96 * Math.sqrt((0.3 * 0.7) / 1000);
  const width = interval.upper - interval.lower;
  assert.ok(interval.lower <= 0.3 && 0.3 <= interval.upper, `[${interval.lower}, ${interval.upper}] should hold 0.3`);
  assert.ok(Math.abs(width / normalWidth - 1) <= 0.2, `width ${width} vs ${normalWidth}`);
  assert.equal(interval.estimate, draws.reduce((a, b) => a + b, 0) / 1000);
  assert.ok(interval.lower <= interval.estimate && interval.estimate <= interval.upper);
  // Seeded: the same seed gives the same interval, another seed another one.
  assert.deepEqual(bootstrapInterval(draws.length, meanOf(draws), { resamples: 2000, seed: 7 }), interval);
  assert.notDeepEqual(bootstrapInterval(draws.length, meanOf(draws), { resamples: 2000, seed: 8 }), interval);
});

test('a metric of Predictions resamples the same rows as a mean of per-sample values', () => {
  const rng = new Rng(3);
  const labels = Array.from({ length: 300 }, () => rng.int(3));
  const probabilities = labels.flatMap(() => {
    const raw = [rng.next(), rng.next(), rng.next()];
    const sum = raw[0]! + raw[1]! + raw[2]!;
    return raw.map((v) => v / sum);
  });
  const p = fromProbabilities(probabilities, labels, 3);
  const correct = labels.map((label, i) => (probabilities.slice(3 * i, 3 * i + 3).indexOf(Math.max(...probabilities.slice(3 * i, 3 * i + 3))) === label ? 1 : 0));
  const options = { resamples: 300, seed: 11 };
  assert.deepEqual(bootstrapInterval(300, onRows(p, accuracy), options), bootstrapInterval(300, meanOf(correct), options));
  // Several metrics from one set of resamples give each metric's own interval.
  const both = metricIntervals(p, { accuracy, brier: brierScore }, options);
  assert.deepEqual(both.accuracy, bootstrapInterval(300, onRows(p, accuracy), options));
  assert.deepEqual(both.brier, bootstrapInterval(300, onRows(p, brierScore), options));
});

test('paired bootstrap: a model right wherever the other is, and on 10 more samples, wins every resample', () => {
  const n = 200;
  const rng = new Rng(5);
  const weaker = Array.from({ length: n }, () => (rng.next() < 0.6 ? 1 : 0));
  let upgraded = 0;
  const stronger = weaker.map((w) => (w === 0 && upgraded < 10 ? (upgraded++, 1) : w));
  const options = { resamples: 500, seed: 1 };
  const diff = pairedBootstrap(n, meanOf(stronger), meanOf(weaker), options);
  assert.ok(Math.abs(diff.estimate - 10 / n) < 1e-12, `estimate ${diff.estimate}`);
  assert.ok(diff.lower > 0, `lower bound ${diff.lower} should be above 0`);
  assert.equal(diff.fractionBGreater, 0);
  const reversed = pairedBootstrap(n, meanOf(weaker), meanOf(stronger), options);
  assert.ok(reversed.upper < 0);
  assert.equal(reversed.fractionAGreater, 0);
  // Unpaired intervals of the two accuracies overlap, yet the paired difference is clearly positive.
  const a = bootstrapInterval(n, meanOf(stronger), options);
  const b = bootstrapInterval(n, meanOf(weaker), { ...options, seed: 2 });
  assert.ok(a.lower < b.upper, 'the unpaired intervals overlap on this example');
});

test('quantile interpolates between order statistics', () => {
  assert.equal(quantile([1, 2, 3, 4, 5], 0.5), 3);
  assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantile([1, 2, 3, 4], 0), 1);
  assert.equal(quantile([1, 2, 3, 4], 1), 4);
  assert.throws(() => bootstrapInterval(10, () => 0, { seed: 1, confidence: 1 }), /confidence must be in \(0, 1\)/);
});

test('UQ fidelity: coverage of the teacher estimate and intersection over union of the intervals', () => {
  const interval = (estimate: number, lower: number, upper: number) => ({ estimate, lower, upper, confidence: 0.95, resamples: 1000 });
  const apart = uncertaintyFidelity(interval(0.9, 0.88, 0.92), interval(0.87, 0.85, 0.89));
  assert.equal(apart.coversTeacher, false);
  assert.ok(Math.abs(apart.intersection - 0.01) < 1e-12);
  assert.ok(Math.abs(apart.overlap - 1 / 7) < 1e-12);
  const inside = uncertaintyFidelity(interval(0.9, 0.88, 0.92), interval(0.89, 0.86, 0.94));
  assert.equal(inside.coversTeacher, true);
  assert.ok(Math.abs(inside.overlap - 0.04 / 0.08) < 1e-12);
  assert.deepEqual(uncertaintyFidelity(interval(1, 0.5, 0.6), interval(1, 0.7, 0.8)), { coversTeacher: false, intersection: 0, overlap: 0 });
  const p = fromProbabilities([0.9, 0.1, 0.2, 0.8, 0.6, 0.4, 0.3, 0.7], [0, 1, 1, 1], 2);
  const report = uncertaintyFidelityReport(p, p, { accuracy }, { resamples: 50, seed: 3 });
  assert.equal(report[0]!.metric, 'accuracy');
  assert.equal(report[0]!.overlap, 1);
  assert.equal(report[0]!.coversTeacher, true);
});
