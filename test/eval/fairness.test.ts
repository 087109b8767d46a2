/** Per-class accuracy and calibration gap, worst class and best-worst gap, by hand. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classFairness } from '../../src/eval/fairness.js';
import { expectedCalibrationError } from '../../src/eval/metrics/calibration.js';
import { fromProbabilities, selectRows } from '../../src/eval/metrics/predictions.js';

test('per-class accuracy and ECE, worst and best class and the gaps', () => {
  const p = fromProbabilities(
    [
      0.9, 0.1, 0, //  label 0, correct, confidence .9
      0.7, 0.3, 0, //  label 0, correct, confidence .7
      0.6, 0.4, 0, //  label 1, wrong,   confidence .6
      0.2, 0.8, 0, //  label 1, correct, confidence .8
      0.1, 0.2, 0.7, // label 1, wrong,  confidence .7
    ],
    [0, 0, 1, 1, 1],
    3,
  );
  const fairness = classFairness(p, { bins: 10 });
  // Class 0: 2/2 right; bins (.8,.9] and (.6,.7] hold one sample each: ECE = (.1 + .3) / 2 = .2.
  // Class 1: 1/3 right; bins (.5,.6] wrong, (.6,.7] wrong, (.7,.8] right: (.6 + .7 + .2) / 3 = .5.
  assert.equal(fairness.perClass[0]!.accuracy, 1);
  assert.ok(Math.abs(fairness.perClass[0]!.ece! - 0.2) < 1e-12);
  assert.equal(fairness.perClass[1]!.accuracy, 1 / 3);
  assert.ok(Math.abs(fairness.perClass[1]!.ece! - 0.5) < 1e-12);
  assert.deepEqual(fairness.perClass[2], { class: 2, samples: 0, accuracy: null, ece: null });
  assert.deepEqual(fairness.worstClass, { class: 1, accuracy: 1 / 3 });
  assert.deepEqual(fairness.bestClass, { class: 0, accuracy: 1 });
  assert.ok(Math.abs(fairness.accuracyGap - 2 / 3) < 1e-12);
  assert.ok(Math.abs(fairness.eceGap - 0.3) < 1e-12);
  // Per-class ECE is the top-label ECE of that class's samples.
  assert.equal(fairness.perClass[1]!.ece, expectedCalibrationError(selectRows(p, [2, 3, 4]), { bins: 10 }).ece);
});
