/** Fidelity measures and Kendall's tau-b on small vectors computed by hand. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { darkKnowledgeTau, fidelity, kendallTauB, meanKlDivergence, teacherAgreement } from '../../src/eval/fidelity.js';
import { fromProbabilities } from '../../src/eval/metrics/predictions.js';

const close = (actual: number, expected: number, tolerance = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual} (tolerance ${tolerance})`);

test('tau-b without ties: one swapped pair of four gives (5 - 1) / 6', () => {
  close(kendallTauB([1, 2, 3, 4], [1, 3, 2, 4]), 4 / 6);
  close(kendallTauB([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  close(kendallTauB([0.1, 0.5, 0.2], [1, 9, 3]), 1);
});

test('tau-b with ties divides by sqrt((n0 - n1)(n0 - n2))', () => {
  // x = [1,2,2,3], y = [1,2,3,3]: 4 concordant, 0 discordant, one pair tied in each: 4 / sqrt(5 * 5).
  close(kendallTauB([1, 2, 2, 3], [1, 2, 3, 3]), 0.8);
  // x = [1,2,2,4], y = [2,1,3,3]: 3 concordant, 1 discordant, one tie in each: 2 / 5.
  close(kendallTauB([1, 2, 2, 4], [2, 1, 3, 3]), 0.4);
  // A pair tied in both counts in n1 and n2: [1,1,2] vs [1,1,2] gives 2 / sqrt(2 * 2) = 1.
  close(kendallTauB([1, 1, 2], [1, 1, 2]), 1);
  assert.ok(Number.isNaN(kendallTauB([1, 1, 1], [1, 2, 3])));
  assert.throws(() => kendallTauB([1, 2], [1]), /one length/);
});

test('dark-knowledge tau ranks only the non-target classes and skips samples where it is undefined', () => {
  const teacher = fromProbabilities([0.7, 0.2, 0.06, 0.04, /**/ 0.1, 0.6, 0.2, 0.1, /**/ 0.3, 0.2, 0.4, 0.1], [0, 1, 2], 4);
  const student = fromProbabilities([0.6, 0.1, 0.2, 0.1, /**/ 0.05, 0.8, 0.1, 0.05, /**/ 0.2, 0.2, 0.4, 0.2], [0, 1, 2], 4);
  // Sample 0: [.2,.06,.04] vs [.1,.2,.1] -> 1 concordant, 1 discordant: 0.
  // Sample 1: [.1,.2,.1] vs [.05,.1,.05] -> 2 concordant, one pair tied in both: 2 / 2 = 1.
  // Sample 2: the student's non-target probabilities are all .2: undefined, skipped.
  assert.deepEqual(darkKnowledgeTau(teacher, student), { meanTau: 0.5, samples: 2, undefinedSamples: 1 });
});

test('KL(teacher || student) and top-1 agreement', () => {
  const teacher = fromProbabilities([0.5, 0.5, 0.9, 0.1], [0, 0], 2);
  const student = fromProbabilities([0.25, 0.75, 0.9, 0.1], [0, 0], 2);
  // Sample 0: .5 ln(.5/.25) + .5 ln(.5/.75) = .5 ln(4/3); sample 1: 0.
  close(meanKlDivergence(teacher, student), (0.5 * Math.log(4 / 3)) / 2, 1e-14);
  close(meanKlDivergence(teacher, teacher), 0);
  // Teacher sample 0 ties (arg-max 0), student picks 1: one of two agree.
  assert.equal(teacherAgreement(teacher, student), 0.5);
  const three = fromProbabilities([0.5, 0.3, 0.2], [0], 3);
  assert.throws(() => fidelity(teacher, three), /same samples and classes/);
});
