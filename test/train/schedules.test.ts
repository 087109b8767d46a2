import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeSchedule } from '../../src/train/schedules.js';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);

test('constant, step decay, linear warmup and cosine schedules', () => {
  const constant = makeSchedule({ kind: 'constant', lr: 0.1 });
  close(constant(0), 0.1);
  close(constant(1e6), 0.1);
  const step = makeSchedule({ kind: 'step', lr: 1, stepSize: 10, gamma: 0.5 });
  [[0, 1], [9, 1], [10, 0.5], [25, 0.25]].forEach(([s, v]) => close(step(s!), v!));
  const warmup = makeSchedule({ kind: 'linearWarmup', lr: 1, warmupSteps: 4 });
  [[0, 0], [1, 0.25], [3, 0.75], [4, 1], [100, 1]].forEach(([s, v]) => close(warmup(s!), v!));
  const cosine = makeSchedule({ kind: 'cosine', lr: 1, totalSteps: 10, minLr: 0.1 });
  close(cosine(0), 1);
  close(cosine(5), 0.55);
  close(cosine(10), 0.1);
  close(cosine(20), 0.1);
  const warmCosine = makeSchedule({ kind: 'cosine', lr: 1, totalSteps: 12, warmupSteps: 2 });
  close(warmCosine(0), 0.5);
  close(warmCosine(1), 1);
  close(warmCosine(2), 1);
  close(warmCosine(7), 0.5);
});

test('invalid schedules are BAD_ARGUMENT errors', () => {
  assert.throws(() => makeSchedule({ kind: 'step', lr: 1, stepSize: 0, gamma: 0.5 }), { code: 'BAD_ARGUMENT' });
  assert.throws(() => makeSchedule({ kind: 'constant', lr: -1 }), { code: 'BAD_ARGUMENT' });
});
