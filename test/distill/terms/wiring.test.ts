/**
 * Each method wired into real training: a tiny student trained for a few steps on the term alone
 * lowers it, and the teacher's values reach the gradients (another teacher gives other updates
 * from the same start; the same teacher gives identical ones).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDataset } from '../../../src/data/dataset.js';
import { createDistillationTrainer } from '../../../src/distill/distill.js';
import { hintPretrain, hintStageFrozen } from '../../../src/distill/hintStage.js';
import { attentionProbabilityTerm, attentionTransferTerm } from '../../../src/distill/terms/attention.js';
import { fitnetTerm } from '../../../src/distill/terms/fitnet.js';
import { parseTermArgument } from '../../../src/distill/terms/registry.js';
import { kdTerm } from '../../../src/distill/terms/response.js';
import { rkdTerm } from '../../../src/distill/terms/rkd.js';
import type { WeightedTerm } from '../../../src/distill/terms/types.js';
import { buildMlp } from '../../../src/models/mlp.js';
import { buildResNet } from '../../../src/models/resnet.js';
import { Graph } from '../../../src/onnx/graph.js';
import type { ModelProto } from '../../../src/onnx/proto.js';
import { listParameters } from '../../../src/onnx/parameters.js';
import { readFloat32 } from '../../../src/onnx/tensor.js';
import type { TrainerConfig } from '../../../src/train/trainer.js';
import { Rng } from '../../../src/util/random.js';
import { saveCheckpoint } from '../../../src/train/checkpoint.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blobs } from '../../helpers/blobs.js';

/** 8x8 one-channel images: a bright quadrant (the class) on noise. */
function quadrants(count: number, seed: number) {
  const rng = new Rng(seed);
  const inputs = new Float32Array(count * 64);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % 4;
    labels[i] = label;
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) {
      const inside = (y < 4 ? 0 : 2) + (x < 4 ? 0 : 1) === label;
      inputs[i * 64 + y * 8 + x] = rng.normal() * 0.3 + (inside ? 1 : 0);
    }
  }
  return makeDataset({ name: 'quadrants', inputs, inputDims: [1, 8, 8], labels, numClasses: 4 });
}

const mlp = (hidden: number, seed: number) => buildMlp({ inputDims: [20], hidden: [hidden], numClasses: 4, seed });
const cnn = (width: number, seed: number) => buildResNet({ inputDims: [1, 8, 8], widths: [width], numClasses: 4, seed });

/** An MLP with a softmax over its hidden layer: an attention-probability-like value "probs" [N, hidden]. */
function withSoftmax(model: ModelProto): ModelProto {
  new Graph(model.graph!).addNode({ opType: 'Softmax', inputs: ['relu1'], outputs: ['probs'], attrs: { axis: -1 } });
  return model;
}

const trainerConfig = (epochs: number, maxSteps?: number): Omit<TrainerConfig, 'loss'> => ({
  batchSize: 32, epochs, seed: 5, optimizer: { kind: 'sgd', momentum: 0.9 }, schedule: { kind: 'constant', lr: 0.05 }, progress: 'silent', ...(maxSteps ? { maxSteps } : {}),
});

interface Case {
  name: string;
  teacher: () => ModelProto;
  otherTeacher: () => ModelProto;
  student: () => ModelProto;
  data: () => ReturnType<typeof blobs>;
  terms: WeightedTerm[];
  lr?: number;
}

const cases: Case[] = [
  ...(['forward-kl', 'reverse-kl', 'js', 'mse'] as const).map((divergence) => ({
    name: `kd ${divergence}`,
    teacher: () => mlp(32, 1), otherTeacher: () => mlp(32, 11), student: () => mlp(8, 2), data: () => blobs(256, 3),
    terms: [{ name: 'kd', weight: 1, term: kdTerm({ divergence, temperature: divergence === 'mse' ? 1 : 2 }) }],
  })),
  {
    name: 'fitnet (linear regressor)',
    teacher: () => mlp(32, 1), otherTeacher: () => mlp(32, 11), student: () => mlp(8, 2), data: () => blobs(256, 3),
    terms: [{ name: 'hint', weight: 1, term: fitnetTerm({ student: 'relu1', teacher: 'relu1' }) }],
  },
  {
    name: 'fitnet (1x1 conv regressor)',
    teacher: () => cnn(8, 1), otherTeacher: () => cnn(8, 11), student: () => cnn(4, 2), data: () => quadrants(128, 3),
    terms: [{ name: 'hint', weight: 1, term: fitnetTerm({ student: 'layer1.0', teacher: 'layer1.0', distance: 'l1' }) }],
  },
  {
    name: 'attention transfer',
    teacher: () => cnn(8, 1), otherTeacher: () => cnn(8, 11), student: () => cnn(4, 2), data: () => quadrants(128, 3),
    terms: [{ name: 'at', weight: 1000, term: attentionTransferTerm({ pairs: [{ student: 'relu', teacher: 'relu' }, { student: 'layer1.0', teacher: 'layer1.0' }] }) }],
  },
  {
    name: 'attention probabilities (kl)',
    teacher: () => withSoftmax(mlp(8, 1)), otherTeacher: () => withSoftmax(mlp(8, 11)), student: () => withSoftmax(mlp(8, 2)), data: () => blobs(256, 3),
    terms: [{ name: 'attn', weight: 10, term: attentionProbabilityTerm({ pairs: [{ student: 'probs', teacher: 'probs' }] }) }],
  },
  {
    name: 'rkd',
    teacher: () => mlp(32, 1), otherTeacher: () => mlp(32, 11), student: () => mlp(8, 2), data: () => blobs(256, 3),
    terms: [{ name: 'rkd', weight: 1, term: rkdTerm({ student: 'relu1', teacher: 'relu1' }) }],
  },
];

async function trainedValues(c: Case, teacher: ModelProto, steps: number) {
  const { trainer, close } = await createDistillationTrainer({ teacher, student: c.student(), data: { train: c.data() }, trainer: trainerConfig(1, steps), terms: c.terms });
  try {
    await trainer.fit();
    return trainer.currentValues();
  } finally {
    await close();
  }
}

for (const c of cases) {
  test(`${c.name}: training on the term lowers it, and the teacher's values drive the gradients`, async () => {
    const { trainer, close, teacherSignal } = await createDistillationTrainer({ teacher: c.teacher(), student: c.student(), data: { train: c.data() }, trainer: trainerConfig(4), terms: c.terms });
    let history;
    try {
      history = (await trainer.fit()).history;
    } finally {
      await close();
    }
    assert.equal(teacherSignal, 'cached');
    const [first, last] = [history[0]!.trainLoss, history.at(-1)!.trainLoss];
    assert.ok(last < first, `${c.name}: epoch losses ${history.map((h) => h.trainLoss.toFixed(5)).join(', ')}`);

    const teacher = c.teacher();
    const same = await trainedValues(c, teacher, 1);
    const again = await trainedValues(c, c.teacher(), 1);
    const other = await trainedValues(c, c.otherTeacher(), 1);
    let differing = 0;
    for (const [name, value] of same) {
      assert.deepEqual(again.get(name), value, `${c.name}: the same teacher gives the same update of ${name}`);
      if (other.get(name)!.some((v, i) => v !== value[i])) differing++;
    }
    assert.ok(differing > 0, `${c.name}: another teacher changed no parameter's update`);
  });
}

test('fitnet regressors are trained parameters of the training graph only: checkpointed, not exported', async () => {
  const student = mlp(8, 2);
  const { trainer, close } = await createDistillationTrainer({ teacher: mlp(32, 1), student, data: { train: blobs(128, 3) }, trainer: trainerConfig(1, 3), terms: [{ name: 'hint', weight: 1, term: fitnetTerm({ student: 'relu1', teacher: 'relu1' }) }] });
  try {
    const before = trainer.trainingOnlyValues();
    assert.deepEqual([...before.keys()].sort(), ['distill:hint:regressor.bias', 'distill:hint:regressor.weight']);
    assert.equal(before.get('distill:hint:regressor.weight')!.length, 8 * 32);
    await trainer.fit();
    const after = trainer.trainingOnlyValues();
    assert.ok(after.get('distill:hint:regressor.weight')!.some((v, i) => v !== before.get('distill:hint:regressor.weight')![i]), 'the regressor learns');
    assert.ok(trainer.toCheckpoint().tensors.some((t) => t.name === 'distill:hint:regressor.weight'));
    const exported = trainer.exportModel();
    assert.deepEqual(listParameters(new Graph(exported.graph!)).map((p) => p.name).sort(), listParameters(new Graph(student.graph!)).map((p) => p.name).sort());
  } finally {
    await close();
  }
});

test('FitNets stage 1 trains only the layers up to the guided value; stage 2 then trains on KD', async () => {
  const student = mlp(8, 2);
  const terms = [parseTermArgument('fitnet:student=relu1,teacher=relu1'), parseTermArgument('kd:temperature=4,weight=0.9'), parseTermArgument('ce:weight=0.1')];
  assert.deepEqual(hintStageFrozen(student, terms.slice(0, 1)).length, 2, 'the logits layer (weight and bias) is frozen');
  const stageOne = await hintPretrain({ teacher: mlp(32, 1), student, data: { train: blobs(128, 3) }, trainer: trainerConfig(2), terms });
  const initial = new Map(listParameters(new Graph(student.graph!)).map((p) => [p.name, p]));
  const trained = listParameters(new Graph(stageOne.student.graph!));
  const changed = trained.filter((p) => readFloat32(p.tensor).some((v, i) => v !== readFloat32(initial.get(p.name)!.tensor)[i])).map((p) => p.name).sort();
  const fc1 = trained.map((p) => p.name).filter((n) => !hintStageFrozen(student, terms.slice(0, 1)).some((re) => new RegExp(re).test(n))).sort();
  assert.deepEqual(changed, fc1);
  const { trainer, close } = await createDistillationTrainer({ teacher: mlp(32, 1), student: stageOne.student, data: { train: blobs(128, 3) }, trainer: trainerConfig(1, 2), terms: terms.slice(1) });
  try {
    const result = await trainer.fit();
    assert.ok(Number.isFinite(result.lastLoss));
  } finally {
    await close();
  }
});

test('a temperature schedule is fed per step: resuming from a checkpoint reproduces an uninterrupted run', async () => {
  const terms = () => [parseTermArgument('kd:temperature=8>1@6,weight=0.7'), parseTermArgument('ce:weight=0.3>0.6@6~cosine')];
  const run = (maxSteps: number) => createDistillationTrainer({ teacher: mlp(32, 1), student: mlp(8, 2), data: { train: blobs(128, 3) }, trainer: trainerConfig(2, maxSteps), terms: terms() });
  const whole = await run(6);
  await whole.trainer.fit();
  const wholeValues = whole.trainer.currentValues();
  await whole.close();
  const part = await run(3);
  await part.trainer.fit();
  const checkpoint = part.trainer.toCheckpoint();
  await part.close();
  // Resume through the public API: a checkpoint file.
  const path = join(mkdtempSync(join(tmpdir(), 'retort-terms-')), 'run.ckpt');
  saveCheckpoint(path, checkpoint);
  const resumedRun = await createDistillationTrainer({ teacher: mlp(32, 1), student: mlp(8, 2), data: { train: blobs(128, 3) }, trainer: trainerConfig(2, 6), terms: terms() }, path);
  await resumedRun.trainer.fit();
  const resumedValues = resumedRun.trainer.currentValues();
  await resumedRun.close();
  for (const [name, value] of wholeValues) assert.deepEqual(resumedValues.get(name), value, name);

  // The schedule matters: a constant temperature of 8 trains differently.
  const constant = await createDistillationTrainer({ teacher: mlp(32, 1), student: mlp(8, 2), data: { train: blobs(128, 3) }, trainer: trainerConfig(2, 6), terms: [parseTermArgument('kd:temperature=8,weight=0.7'), parseTermArgument('ce:weight=0.3>0.6@6~cosine')] });
  await constant.trainer.fit();
  const constantValues = constant.trainer.currentValues();
  await constant.close();
  assert.ok([...wholeValues].some(([name, value]) => constantValues.get(name)!.some((v, i) => v !== value[i])));

  // A checkpoint of one objective does not resume another.
  await assert.rejects(
    createDistillationTrainer({ teacher: mlp(32, 1), student: mlp(8, 2), data: { train: blobs(128, 3) }, trainer: trainerConfig(2, 6), terms: [parseTermArgument('kd:temperature=3'), parseTermArgument('ce')] }, path),
    /another configuration/,
  );
});

test('--term parsing: options, schedules, pairs, and every problem reported at once', () => {
  const at = parseTermArgument('at:pairs=a:b;c:d,weight=1000,name=attention');
  assert.equal(at.name, 'attention');
  assert.equal(at.weight, 1000);
  assert.deepEqual((at.term.options as { pairs: unknown }).pairs, [{ student: 'a', teacher: 'b' }, { student: 'c', teacher: 'd' }]);
  assert.deepEqual(parseTermArgument('kd:temperature=4>1@100~cosine').term.options, { divergence: 'forward-kl', temperature: { kind: 'cosine', from: 4, to: 1, steps: 100 } });
  assert.throws(() => parseTermArgument('kd:divergence=kl,temprature=4,weight=x'), (error: Error) =>
    /divergence "kl" is not one of: forward-kl, reverse-kl, js, mse/.test(error.message) && /unknown option "temprature"/.test(error.message) && /weight/.test(error.message));
  assert.throws(() => parseTermArgument('fitnet:student=a'), /teacher=\.\.\. is required/);
  assert.throws(() => parseTermArgument('nope'), /Unknown distillation term "nope". Should be one of: at, attn, ce, fitnet, kd, rkd/);
  assert.throws(() => parseTermArgument('kd:temperature=0'), /temperature must be positive/);
});

test('intermediate teacher values: cached over the dataset and computed per batch give the same training', async () => {
  const run = async (teacherSignal: 'cached' | 'per-batch') => {
    const { trainer, close, teacherSignal: used } = await createDistillationTrainer({
      teacher: mlp(32, 1), student: mlp(8, 2), data: { train: blobs(128, 3) }, trainer: trainerConfig(1, 4), teacherSignal,
      terms: [parseTermArgument('fitnet:student=relu1,teacher=relu1'), parseTermArgument('rkd:student=relu1,teacher=fc1'), parseTermArgument('kd:temperature=2')],
    });
    try {
      assert.equal(used, teacherSignal);
      return (await trainer.fit()).lastLoss;
    } finally {
      await close();
    }
  };
  assert.equal(await run('cached'), await run('per-batch'));
});
