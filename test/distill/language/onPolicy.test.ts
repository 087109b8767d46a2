/**
 * On-policy token-level distillation: rounds of steps on the student's own samples (reverse KL
 * scored by the teacher per position), mixed with rounds on real text; deterministic and resumable
 * at round boundaries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { distillOnPolicy, isOnPolicyRound } from '../../../src/distill/language/onPolicy.js';
import { tokenKdTerms } from '../../../src/distill/language/tokenKd.js';
import { data, heldOutWindows, logitsOf, meanKl, sharpTeacher, tinyGpt, trainerConfig, VOCAB } from './helpers.js';

const teacher = sharpTeacher(1);
const terms = tokenKdTerms({ divergence: 'reverse-kl', temperature: 1, alpha: 0 });

test('rounds are on-policy with the given fraction, seeded', () => {
  const rounds = Array.from({ length: 400 }, (_, r) => isOnPolicyRound(3, r, 0.25));
  const share = rounds.filter(Boolean).length / rounds.length;
  assert.ok(share > 0.18 && share < 0.32, `share ${share}`);
  assert.deepEqual(rounds, Array.from({ length: 400 }, (_, r) => isOnPolicyRound(3, r, 0.25)));
  assert.ok(Array.from({ length: 50 }, (_, r) => isOnPolicyRound(3, r, 1)).every(Boolean));
  assert.ok(!Array.from({ length: 50 }, (_, r) => isOnPolicyRound(3, r, 0)).some(Boolean));
});

test('on-policy reverse KL on the student\'s samples lowers the reverse KL on held-out text windows', async () => {
  const student = tinyGpt(5);
  const windows = heldOutWindows();
  const teacherLogits = await logitsOf(teacher, windows);
  const before = meanKl(teacherLogits, await logitsOf(student, windows), VOCAB, 'reverse-kl');
  const result = await distillOnPolicy({ teacher, student, data, terms, trainer: trainerConfig({ maxSteps: 30 }), onPolicy: { every: 5, poolSize: 16, promptLength: 4 } });
  assert.equal(result.steps, 30);
  assert.equal(result.rounds, 6);
  assert.equal(result.onPolicyRounds, 6);
  assert.equal(result.sampledTokens, 6 * 16 * (16 + 1 - 4));
  const after = meanKl(teacherLogits, await logitsOf(result.model, windows), VOCAB, 'reverse-kl');
  assert.ok(after < 0.8 * before, `reverse KL on held-out windows ${before.toFixed(4)} -> ${after.toFixed(4)}`);
});

test('killed at a round boundary and resumed, a mixed on-policy run ends bit-identical; a checkpoint inside a round is refused', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retort-on-policy-'));
  try {
    const student = tinyGpt(5);
    // Cross-entropy on data rounds only: it is switched off where the labels are the student's samples.
    const mixed = tokenKdTerms({ divergence: 'reverse-kl', temperature: 2, alpha: 0.3 });
    const run = { teacher, student, data, terms: mixed, onPolicy: { every: 3, fraction: 0.5, poolSize: 8, promptLength: 2 } };
    const straight = await distillOnPolicy({ ...run, trainer: trainerConfig({ maxSteps: 12 }) });
    assert.ok(straight.onPolicyRounds > 0 && straight.onPolicyRounds < 4, `${straight.onPolicyRounds} of 4 rounds on-policy`);
    const file = path.join(dir, 'student.ckpt');
    const checkpoint = { path: file, everySteps: 3 };
    const first = await distillOnPolicy({ ...run, trainer: trainerConfig({ maxSteps: 6, checkpoint }) });
    const resumed = await distillOnPolicy({ ...run, trainer: trainerConfig({ maxSteps: 12, checkpoint }) }, file);
    assert.equal(resumed.resumedFromStep, 6);
    assert.equal(resumed.steps, 12);
    assert.equal(first.onPolicyRounds + resumed.onPolicyRounds, straight.onPolicyRounds);
    assert.equal(resumed.lastLoss, straight.lastLoss);
    const weights = (m: typeof straight.model) => m.graph!.initializer.map((t) => Buffer.from(t.rawData!).toString('base64')).join();
    assert.equal(weights(resumed.model), weights(straight.model));
    await assert.rejects(distillOnPolicy({ ...run, trainer: trainerConfig({ maxSteps: 12, checkpoint: { path: file, everySteps: 2 } }) }), { code: 'BAD_ARGUMENT', message: /multiple of every/ });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
