/** Task metrics on examples small enough to compute by hand. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accuracy,
  binOf,
  brierScore,
  confusionMatrix,
  expectedCalibrationError,
  fromLogits,
  fromProbabilities,
  meanTokenNll,
  negativeLogLikelihood,
  perClassPrecisionRecall,
  perplexity,
  taskMetrics,
  topKAccuracy,
} from '../../src/eval/metrics/index.js';

const close = (actual: number, expected: number, tolerance = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual} (tolerance ${tolerance})`);

// a: label 0, p = .5 (correct); b: label 1, p = .8 (correct); c: label 0, p = .2, predicted 2.
const threeSamples = () => fromProbabilities([0.5, 0.25, 0.25, 0.1, 0.8, 0.1, 0.2, 0.2, 0.6], [0, 1, 0], 3);

test('NLL and Brier score of a 3-sample example match the hand values', () => {
  const p = threeSamples();
  // NLL = (ln 2 + ln 1.25 + ln 5) / 3 = ln(12.5) / 3.
  close(negativeLogLikelihood(p), Math.log(12.5) / 3);
  // Brier: (.25+.0625+.0625) + (.01+.04+.01) + (.64+.04+.36) = 1.475, over 3 samples.
  close(brierScore(p), 1.475 / 3);
  // The same probabilities given as logits (their logs plus a per-row shift) give the same scores.
  const logits = [0.5, 0.25, 0.25, 0.1, 0.8, 0.1, 0.2, 0.2, 0.6].map((v, k) => Math.log(v) + 7 * Math.floor(k / 3));
  const fromL = fromLogits(logits, [0, 1, 0], 3);
  close(negativeLogLikelihood(fromL), Math.log(12.5) / 3, 1e-12);
  close(brierScore(fromL), 1.475 / 3, 1e-12);
});

test('accuracy, top-k, confusion matrix and per-class precision/recall of the 3-sample example', () => {
  const p = threeSamples();
  close(accuracy(p), 2 / 3);
  close(topKAccuracy(p, 1), 2 / 3);
  // Sample c: only class 2 is strictly above its label (tied with class 1), so top-2 counts it.
  close(topKAccuracy(p, 2), 1);
  assert.deepEqual([...confusionMatrix(p).counts], [1, 0, 1, 0, 1, 0, 0, 0, 0]);
  assert.deepEqual(perClassPrecisionRecall(p), [
    { class: 0, support: 2, precision: 1, recall: 0.5, f1: 2 / 3 },
    { class: 1, support: 1, precision: 1, recall: 1, f1: 1 },
    { class: 2, support: 0, precision: 0, recall: null, f1: null },
  ]);
  assert.throws(() => topKAccuracy(p, 4), /k must be an integer in 1..3/);
  const summary = taskMetrics(p, { topK: [2, 5] });
  assert.deepEqual(Object.keys(summary.topK), ['2']);
});

test('ECE with 5 equal-width bins on 6 samples matches the hand computation, bins and all', () => {
  const p = fromProbabilities(
    [
      0.9, 0.05, 0.05, // label 0: confidence .9, correct   -> bin 4 (.8, 1]
      0.85, 0.1, 0.05, // label 1: confidence .85, wrong    -> bin 4
      0.7, 0.2, 0.1, //   label 0: confidence .7, correct   -> bin 3 (.6, .8]
      0.2, 0.65, 0.15, // label 1: confidence .65, correct  -> bin 3
      0.4, 0.35, 0.25, // label 2: confidence .4, wrong     -> bin 1 (.2, .4] (upper edge included)
      0.3, 0.45, 0.25, // label 1: confidence .45, correct  -> bin 2 (.4, .6]
    ],
    [0, 1, 0, 1, 2, 1],
    3,
  );
  const calibration = expectedCalibrationError(p, { bins: 5 });
  assert.deepEqual(calibration.bins.map((b) => b.count), [0, 1, 1, 2, 2]);
  assert.equal(calibration.bins[0]!.confidence, null);
  assert.equal(calibration.bins[0]!.accuracy, null);
  const expected = [null, [0.4, 0], [0.45, 1], [0.675, 1], [0.875, 0.5]] as const;
  calibration.bins.forEach((bin, b) => {
    close(bin.lower, b / 5);
    close(bin.upper, (b + 1) / 5);
    const e = expected[b];
    if (e) {
      close(bin.confidence!, e[0], 1e-12);
      close(bin.accuracy!, e[1], 1e-12);
    }
  });
  // (1/6)(.4) + (1/6)(.55) + (2/6)(.325) + (2/6)(.375) = 2.35 / 6; the largest gap is .55.
  close(calibration.ece, 2.35 / 6, 1e-12);
  close(calibration.mce, 0.55, 1e-12);
  assert.equal(calibration.samples, 6);
});

test('bin edges: 0 goes to the first bin, 1 to the last, an edge to the bin below it', () => {
  assert.equal(binOf(0, 10), 0);
  assert.equal(binOf(1, 10), 9);
  assert.equal(binOf(0.5, 10), 4);
  assert.equal(binOf(0.5000001, 10), 5);
  assert.throws(() => expectedCalibrationError(threeSamples(), { bins: 0 }), /bins must be a positive integer/);
});

test('perplexity is exp of the mean token NLL, and uniform logits over V tokens give V', () => {
  const logits = [2, 0, -1, 0.5, /**/ 0, 0, 3, 1, /**/ -2, 1, 1, 0];
  const targets = [0, 3, 2];
  const nll = meanTokenNll(logits, targets, 4);
  close(nll, negativeLogLikelihood(fromLogits(logits, targets, 4)), 1e-12);
  close(perplexity(nll), Math.exp(nll));
  close(perplexity(meanTokenNll(new Array(20).fill(0.3), [0, 1, 2, 3, 0], 4)), 4, 1e-12);
  assert.throws(() => meanTokenNll(logits, [0, 4, 1], 4), /Token 1 has target 4/);
});

test('bad inputs are refused with what was expected', () => {
  assert.throws(() => fromLogits([1, 2, 3], [0, 1], 2), /2 labels and 2 classes need 4 values, got 3/);
  assert.throws(() => fromLogits([1, 2], [2], 2), /sample 0 has label 2, expected an integer in 0..1/);
  assert.throws(() => fromProbabilities([0.5, 0.6], [0], 2), /sum to 1.1/);
});
