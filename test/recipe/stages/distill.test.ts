/**
 * The recipe stage kind `distill`, called as the runner calls it, with small MLP teachers trained
 * here on 2000 MNIST images and students trained on 1000 for a few steps: a weighted sum of several
 * terms (each of which changes the update), a pruned student kept pruned, exact resume, an ensemble
 * of teachers, and every kwargs problem reported with its path.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { subset } from '../../../src/data/dataset.js';
import { loadMnist } from '../../../src/data/mnist.js';
import { buildArchitecture } from '../../../src/models/spec.js';
import { Graph } from '../../../src/onnx/graph.js';
import { loadModel, saveModel } from '../../../src/onnx/model.js';
import { listParameters } from '../../../src/onnx/parameters.js';
import { readFloat32 } from '../../../src/onnx/tensor.js';
import { magnitudePrune } from '../../../src/prune/prune.js';
import type { DistillMetrics } from '../../../src/recipe/stages/distillRun.js';
import { distillStage, type DistillKwargs } from '../../../src/recipe/stages/distill.js';
import { stageKinds } from '../../../src/recipe/stages/index.js';
import { Trainer } from '../../../src/train/trainer.js';
import { modelInput, stageContext, tempDir } from './context.js';

const kwargs = (k: Record<string, unknown>): DistillKwargs => distillStage.kwargs.parse(k);
const training = (dir: string): DistillMetrics => JSON.parse(readFileSync(path.join(dir, 'training.json'), 'utf8')) as DistillMetrics;
const bytesOf = (dir: string): Buffer => readFileSync(path.join(dir, 'model.onnx'));
const weights = (file: string): Map<string, Float32Array> => new Map(listParameters(new Graph(loadModel(file).graph!)).map((p) => [p.name, readFloat32(p.tensor)]));

let teacherPath = '';
let secondTeacherPath = '';

async function trainTeacher(seed: number, epochs: number): Promise<string> {
  const model = buildArchitecture('mlp:64', { seed });
  const trainer = await Trainer.create(
    model,
    { batchSize: 100, epochs, seed, optimizer: { kind: 'sgd', momentum: 0.9 }, schedule: { kind: 'constant', lr: 0.1 }, progress: 'silent', threads: 1 },
    { train: subset(loadMnist({ split: 'train' }), 2000) },
  );
  await trainer.fit();
  const file = path.join(tempDir('retort-teacher-'), 'teacher.onnx');
  saveModel(trainer.exportModel(), file);
  await trainer.dispose();
  return file;
}

before(async () => {
  teacherPath = await trainTeacher(1, 2);
  secondTeacherPath = await trainTeacher(2, 1);
});

const teacher = () => ({ teacher: modelInput(teacherPath) });
const sgd = { key: 'sgd', kwargs: { lr: 0.1 } };
/** Hard labels, forward KL at T 4 and reverse KL at T 2 (MiniLLM), summed with weights. */
const threeTerms = [
  { key: 'ce', weight: 0.1 },
  { key: 'kd', weight: 0.9, kwargs: { temperature: 4 } },
  { key: 'kd', name: 'rkl', weight: 0.5, kwargs: { divergence: 'reverse-kl', temperature: 2 } },
];

test('registered as `distill`; a weighted sum of three terms writes model.onnx and training.json with test error and agreement', async () => {
  assert.equal(stageKinds.get('distill'), distillStage);
  const ctx = stageContext({ models: teacher(), seed: 4 });
  const out = await distillStage.run(ctx, kwargs({ arch: 'mlp:16', epochs: 2, optimizer: sgd, terms: threeTerms }));
  assert.deepEqual(Object.keys(out.artifacts).sort(), ['model', 'training']);
  const m = out.metrics as Record<string, number | string>;
  assert.equal(m.parameters, 784 * 16 + 16 + 16 * 10 + 10);
  assert.equal(m.fileBytes, statSync(out.artifacts.model!).size);
  assert.equal(m.testSamples, 1000);
  assert.ok((m.testError as number) > 0 && (m.testError as number) < 0.6, `test error ${m.testError}`);
  assert.ok((m.agreement as number) > 0.4 && (m.agreement as number) <= 1, `agreement ${m.agreement}`);
  assert.ok((m.teacherTestError as number) > 0 && (m.teacherTestError as number) < 0.5, `teacher error ${m.teacherTestError}`);
  assert.equal(m.teacherSignal, 'cached');
  assert.equal(m.status, 'complete');
  assert.equal(m.steps, 14);

  const t = training(ctx.dir);
  assert.equal(t.format, 'retort-distill-metrics');
  assert.deepEqual(t.config.terms!.map((x) => [x.name, x.weight, x.kind]), [['ce', 0.1, 'ce'], ['kd', 0.9, 'kd'], ['rkl', 0.5, 'kd']]);
  assert.deepEqual(t.config.terms![2]!.options, { divergence: 'reverse-kl', temperature: 2 });
  assert.equal(t.config.teacher.path, teacherPath);
  assert.equal(t.config.temperature, undefined);
  assert.deepEqual(t.epochs.map((e) => [e.epoch, e.steps]), [[1, 7], [2, 14]]);
  assert.equal(t.test!.teacherAgreement, m.agreement);
  assert.equal(t.test!.errors / t.test!.samples, m.testError);
  assert.ok(ctx.lines.some((l) => /^epoch 2: test error \d+ of 1000 .*agreement with the teacher/.test(l)), ctx.lines.join('\n'));

  // The default objective is classic KD: ce weighted alpha 0.1 and kd at T 4 weighted 0.9.
  const classic = stageContext({ models: teacher() });
  await distillStage.run(classic, kwargs({ arch: 'mlp:16', epochs: 1, maxSteps: 2 }));
  assert.deepEqual(training(classic.dir).config.terms!.map((x) => [x.name, x.weight, x.options]), [['ce', 0.1, {}], ['kd', 0.9, { divergence: 'forward-kl', temperature: 4 }]]);
});

test('each term of the sum changes the update: leaving any one out gives other weights after one step, the same objective the same ones', async () => {
  const oneStep = async (terms: unknown[]): Promise<Buffer> => {
    const ctx = stageContext({ models: teacher(), seed: 6 });
    await distillStage.run(ctx, kwargs({ arch: 'mlp:16', epochs: 1, maxSteps: 1, optimizer: sgd, terms }));
    return bytesOf(ctx.dir);
  };
  const all = await oneStep(threeTerms);
  assert.deepEqual(await oneStep(threeTerms), all, 'deterministic');
  for (let i = 0; i < threeTerms.length; i++) {
    const without = await oneStep(threeTerms.filter((_, j) => j !== i));
    assert.notDeepEqual(without, all, `without ${threeTerms[i]!.name ?? threeTerms[i]!.key}`);
  }
  // A weight is a weight: doubling one term's changes the update too.
  assert.notDeepEqual(await oneStep(threeTerms.map((t, j) => (j === 2 ? { ...t, weight: 1 } : t))), all);
});

test('keepSparsity: a pruned student stays pruned (its zeros are masks in the training graph); without it the zeros fill in', async () => {
  const pruned = magnitudePrune(buildArchitecture('mlp:32', { seed: 3 }), { sparsity: 0.8 }).model;
  const studentFile = path.join(tempDir('retort-pruned-'), 'pruned.onnx');
  saveModel(pruned, studentFile);
  const before = weights(studentFile);
  const run = async (keepSparsity: boolean) => {
    const ctx = stageContext({ models: { ...teacher(), student: modelInput(studentFile) } });
    const out = await distillStage.run(ctx, kwargs({ epochs: 1, optimizer: sgd, keepSparsity, terms: [{ key: 'hinton', kwargs: { temperature: 4, alpha: 0.5 } }] }));
    return { out, after: weights(out.artifacts.model!), config: training(ctx.dir).config };
  };
  const kept = await run(true);
  assert.equal(kept.config.keepSparsity, true);
  const prunable = ['fc1.weight', 'fc2.weight'];
  let zeros = 0;
  let trained = 0;
  for (const name of prunable) {
    const [w, after] = [before.get(name)!, kept.after.get(name)!];
    for (let i = 0; i < w.length; i++) {
      if (w[i] === 0) {
        zeros++;
        assert.equal(after[i], 0, `${name}[${i}] was pruned`);
      } else if (after[i] !== w[i]) trained++;
    }
  }
  const total = 784 * 32 + 32 * 10;
  assert.ok(zeros >= Math.floor(0.8 * 784 * 32) + Math.floor(0.8 * 32 * 10), `zeros ${zeros}`);
  // The kept weights trained (not all: a pixel that is zero in every image, as MNIST's border, gives its
  // weights no gradient), and so did the biases (zero at initialisation, never masked).
  assert.ok(trained > 0.5 * (total - zeros), `trained ${trained} of ${total - zeros}`);
  assert.ok(kept.after.get('fc1.bias')!.some((x) => x !== 0), 'the first bias trained');
  assert.ok((kept.out.metrics.weightSparsity as number) >= zeros / total - 1e-9, `sparsity ${kept.out.metrics.weightSparsity}`);

  const filled = await run(false);
  assert.equal(filled.config.keepSparsity, undefined);
  // Without the masks most pruned weights take gradient steps again (those of pixels that are zero in
  // every image cannot).
  let refilled = 0;
  for (const name of prunable) {
    const [w, after] = [before.get(name)!, filled.after.get(name)!];
    for (let i = 0; i < w.length; i++) if (w[i] === 0 && after[i] !== 0) refilled++;
  }
  assert.ok(refilled > 0.5 * zeros, `refilled ${refilled} of ${zeros}`);
  assert.ok((filled.out.metrics.weightSparsity as number) < 0.5 * (kept.out.metrics.weightSparsity as number));
});

test('stopped by maxSteps mid-epoch, then run again: resumes to the bytes of an uninterrupted run (scheduled temperature, jitter, per-batch teacher)', async () => {
  const settings = {
    arch: 'mlp:16', epochs: 2, optimizer: { key: 'sgd', kwargs: { lr: 0.05, nesterov: true } }, schedule: { key: 'cosine', kwargs: { warmupEpochs: 0.5 } }, jitter: 2, checkpointEvery: 2,
    terms: [{ key: 'ce', weight: { kind: 'linear', from: 0.5, to: 0.1, steps: 10 } }, { key: 'kd', weight: 0.9, kwargs: { temperature: { kind: 'cosine', from: 8, to: 2, steps: 12 } } }],
  };
  const whole = stageContext({ models: teacher(), seed: 8 });
  const uninterrupted = await distillStage.run(whole, kwargs(settings));
  assert.equal(uninterrupted.metrics.teacherSignal, 'per-batch');
  const dir = tempDir('retort-stage-');
  const first = await distillStage.run(stageContext({ dir, models: teacher(), seed: 8 }), kwargs({ ...settings, maxSteps: 9 }));
  assert.equal(first.metrics.status, 'max-steps');
  assert.notDeepEqual(bytesOf(dir), bytesOf(whole.dir));
  const resumed = await distillStage.run(stageContext({ dir, models: teacher(), seed: 8 }), kwargs(settings));
  assert.equal(resumed.metrics.resumedFromStep, 9);
  assert.deepEqual(bytesOf(dir), bytesOf(whole.dir));
  assert.equal(resumed.metrics.agreement, uninterrupted.metrics.agreement);
  const strip = (m: DistillMetrics) => m.epochs.map(({ seconds: _s, samplesPerSecond: _r, ...rest }) => rest);
  assert.deepEqual(strip(training(dir)), strip(training(whole.dir)));
});

test('an ensemble of teachers (the `teachers` input) is one teacher of averaged soft targets', async () => {
  const ctx = stageContext({ modelLists: { teachers: [modelInput(teacherPath), modelInput(secondTeacherPath)] } });
  const out = await distillStage.run(ctx, kwargs({ arch: 'mlp:16', epochs: 1, maxSteps: 3, ensemble: { temperature: 4, weighting: { key: 'fixed', kwargs: { weights: [2, 1] } } } }));
  const t = training(ctx.dir);
  assert.deepEqual(t.config.teacher.ensemble!.members.map((m) => m.path), [teacherPath, secondTeacherPath]);
  assert.deepEqual(t.config.teacher.ensemble!.weighting, { kind: 'fixed', weights: [2, 1] });
  assert.ok((out.metrics.agreement as number) > 0);
  await assert.rejects(distillStage.run({ ...ctx, models: teacher() }, kwargs({ arch: 'mlp:16', epochs: 1 })), /give exactly one of the `teacher` input .* or `teachers`/);
  await assert.rejects(distillStage.run(ctx, kwargs({ arch: 'mlp:16', epochs: 1 })), /`teachers` input needs kwargs.ensemble/);
});

test('kwargs: every problem of the terms and settings at once, each with its path', () => {
  const bad = distillStage.kwargs.safeParse({
    epochs: 1,
    jitter: 2,
    teacherSignal: 'cached',
    terms: [
      { key: 'kd', kwargs: { divergence: 'kl', temprature: 4 } },
      { key: 'nope' },
      { key: 'hinton', kwargs: { alpha: 2 } },
      { key: 'fitnet', kwargs: { student: 'relu1' } },
    ],
  });
  assert.ok(!bad.success);
  const issues = bad.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  const expected = [
    /^terms\.0\.kwargs: divergence "kl" is not one of: forward-kl, reverse-kl, js, mse$/,
    /^terms\.0\.kwargs: unknown option "temprature"; kd takes: name, weight, divergence, temperature, student, teacher$/,
    /^terms\.1\.key: Unknown distillation term "nope". Should be one of: at, attn, ce, fitnet, kd, rkd$/,
    /^terms\.2\.kwargs\.alpha: /,
    /^terms\.3\.kwargs: teacher=\.\.\. is required/,
    /^teacherSignal: cached teacher values cannot go with jitter/,
  ];
  for (const pattern of expected) assert.ok(issues.some((i) => pattern.test(i)), `${pattern} in\n${issues.join('\n')}`);
  assert.equal(issues.length, expected.length, issues.join('\n'));

  const twice = distillStage.kwargs.safeParse({ epochs: 1, terms: [{ key: 'kd' }, { key: 'kd', kwargs: { divergence: 'js' } }] });
  assert.ok(!twice.success);
  assert.match(twice.error.issues[0]!.message, /term name "kd" is used twice/);
  const hints = distillStage.kwargs.safeParse({ epochs: 1, hintEpochs: 1, terms: [{ key: 'ce' }] });
  assert.ok(!hints.success);
  assert.match(hints.error.issues[0]!.message, /hintEpochs needs at least one hint term/);
  // The pairs and ramps of the CLI's text form, written as JSON.
  assert.ok(distillStage.kwargs.safeParse({ epochs: 1, terms: [{ key: 'at', weight: 1000, kwargs: { pairs: [{ student: 'a', teacher: 'b' }, 'c:d'] } }] }).success);
});
