/**
 * The class-weighted KD term against a float64 hand computation, its gradient (each sample's soft
 * gradient scaled by its class weight), and its wiring: a student trained on it for a few steps
 * lowers it, and the class weights change the update.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classWeightedKd } from '../../src/distill/classWeightedKd.js';
import { composeObjective, objectiveFeeds } from '../../src/distill/terms/objective.js';
import { TEACHER_OUTPUT } from '../../src/distill/terms/types.js';
import { cacheTeacherLogits, cachedTeacherFeeds, openTeacher } from '../../src/distill/teacherSignals.js';
import { buildMlp } from '../../src/models/mlp.js';
import { Trainer } from '../../src/train/trainer.js';
import { evaluateLoss, kl, softmax, syntheticDataset } from './lossHarness.js';

const student = [[1.0, -0.5, 2.0], [0.1, 0.2, -1.0], [-2.0, 0.7, 0.4], [0.3, 0.3, 0.3]];
const teacher = [[2.5, -1.0, 4.0], [-0.3, 0.9, -2.0], [-1.0, 2.2, 0.4], [1.0, -1.0, 0.0]];
const labels = [2, 1, 1, 0];
const weights = [0.5, 2, 4];

function objective(classWeights: number[], temperature: number) {
  return composeObjective([{ name: 'cwkd', weight: 1, term: classWeightedKd({ temperature, classWeights }) }], { seed: 0, teacherSampleDims: new Map([[TEACHER_OUTPUT, [3]]]) });
}

for (const T of [1, 4]) {
  test(`class-weighted KD equals T^2/N Σ w[y_i] KL_i and its gradient is w[y_i] T (p_s - p_t) / N (T ${T})`, async () => {
    const got = await evaluateLoss(objective(weights, T).loss, { logits: student }, labels, { teacher_logits: { dims: [4, 3], values: teacher.flat() } });
    let expected = 0;
    const grad: number[] = [];
    student.forEach((s, i) => {
      const pS = softmax(s, T);
      const pT = softmax(teacher[i]!, T);
      const w = weights[labels[i]!]!;
      expected += (w * T * T * kl(pT, pS)) / 4;
      pS.forEach((p, c) => grad.push((w * T * (p - pT[c]!)) / 4));
    });
    assert.ok(Math.abs(got.loss - expected) < 1e-5 * Math.max(1, expected), `loss ${got.loss} vs ${expected}`);
    got.gradients.logits!.forEach((g, k) => assert.ok(Math.abs(g - grad[k]!) < 1e-6, `d logits[${k}]: ${g} vs ${grad[k]}`));
  });
}

test('with every class weight 1 it is the plain (T^2-scaled) KD term', async () => {
  const got = await evaluateLoss(objective([1, 1, 1], 2).loss, { logits: student }, labels, { teacher_logits: { dims: [4, 3], values: teacher.flat() } });
  const expected = student.reduce((a, s, i) => a + (4 * kl(softmax(teacher[i]!, 2), softmax(s, 2))) / 4, 0);
  assert.ok(Math.abs(got.loss - expected) < 1e-5 * Math.max(1, expected));
});

async function trainSteps(classWeights: number[], steps: number) {
  const data = syntheticDataset(96, 6, 3, 1);
  const teacherModel = buildMlp({ hidden: [16], inputDims: [6], numClasses: 3, seed: 5 });
  const teacher = await openTeacher(teacherModel);
  const composed = objective(classWeights, 2);
  const feeds = objectiveFeeds(composed, cachedTeacherFeeds(await cacheTeacherLogits(teacher, data)));
  const trainer = await Trainer.create(
    buildMlp({ hidden: [8], inputDims: [6], numClasses: 3, seed: 1 }),
    { batchSize: 32, epochs: 100, seed: 0, optimizer: { kind: 'sgd', momentum: 0 }, schedule: { kind: 'constant', lr: 0.5 }, loss: composed.loss, maxSteps: steps, progress: 'silent' },
    { train: data },
    { extraFeeds: feeds, extraInputs: composed.extraInputs },
  );
  const first = (await trainer.fit()).lastLoss;
  trainer.config.maxSteps = steps + 30;
  const later = (await trainer.fit()).lastLoss;
  const values = trainer.currentValues();
  await trainer.dispose();
  await teacher.session.dispose();
  return { first, later, values };
}

test('a student trained on class-weighted KD lowers the term, and the class weights change its update', async () => {
  const weighted = await trainSteps([0.5, 1, 3], 1);
  assert.ok(weighted.later < weighted.first, `term after 31 steps ${weighted.later} vs after 1 step ${weighted.first}`);
  const uniform = await trainSteps([1, 1, 1], 1);
  const [name] = [...weighted.values.keys()];
  const a = weighted.values.get(name!)!;
  const b = uniform.values.get(name!)!;
  assert.ok(a.some((v, i) => Math.abs(v - b[i]!) > 1e-6), 'class weights made no difference to the update');
});
