/**
 * Black-box distillation end to end: a small MLP teacher trained here on 2000 MNIST images, seen
 * only through a JSONL file of its top-3 probabilities over 1000 other images; a student distilled
 * from that file for a few steps. Printed for the report: the student's agreement with the teacher
 * against a student trained on the labels alone for the same steps (not asserted).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sliceDataset, subset, type Dataset } from '../../../src/data/dataset.js';
import { loadMnist } from '../../../src/data/mnist.js';
import { blackBoxDistill, blackBoxTerms, createBlackBoxTrainer } from '../../../src/distill/blackBox/blackBoxDistill.js';
import { outputsFromLogits } from '../../../src/distill/blackBox/simulate.js';
import { formatTeacherOutput, readTeacherOutputs, type TeacherOutput } from '../../../src/distill/blackBox/teacherOutputs.js';
import { datasetLogits } from '../../../src/eval/logits.js';
import { buildArchitecture } from '../../../src/models/spec.js';
import { encodeModel } from '../../../src/onnx/model.js';
import type { ModelProto } from '../../../src/onnx/proto.js';
import { Session } from '../../../src/runtime/session.js';
import { Trainer, type TrainerConfig } from '../../../src/train/trainer.js';
import { RetortError } from '../../../src/util/errors.js';

const STEPS = 40;
const trainer = (seed: number, maxSteps = STEPS): Omit<TrainerConfig, 'loss'> => ({
  batchSize: 50, epochs: 5, maxSteps, seed, optimizer: { kind: 'sgd', momentum: 0.9 }, schedule: { kind: 'constant', lr: 0.05 }, progress: 'silent', threads: 1,
});

let transfer: Dataset;
let test_: Dataset;
let teacher: ModelProto;
let outputsFile = '';

async function predictions(model: ModelProto, dataset: Dataset): Promise<Int32Array> {
  const session = await Session.create(encodeModel(model), { name: 'predictions', threads: 1 });
  try {
    const { logits, classes } = await datasetLogits(session, dataset);
    return Int32Array.from({ length: dataset.length }, (_, i) => {
      const row = logits.subarray(i * classes, (i + 1) * classes);
      return row.indexOf(Math.max(...row));
    });
  } finally {
    await session.dispose();
  }
}

before(async () => {
  const all = loadMnist({ split: 'train' });
  const teacherData = subset(all, 2000);
  transfer = sliceDataset(all, 2000, 3000);
  test_ = subset(loadMnist({ split: 'test' }), 1000);
  const t = await Trainer.create(buildArchitecture('mlp:64', { seed: 1 }), { ...trainer(1, 200), loss: undefined }, { train: teacherData });
  teacher = (await t.fit()).model;
  await t.dispose();
  // The teacher as a black box: top-3 probabilities on the transfer set, written as JSONL.
  const session = await Session.create(encodeModel(teacher), { name: 'teacher', threads: 1 });
  const { logits, classes } = await datasetLogits(session, transfer);
  await session.dispose();
  outputsFile = path.join(mkdtempSync(path.join(tmpdir(), 'retort-blackbox-')), 'teacher.jsonl');
  writeFileSync(outputsFile, outputsFromLogits(logits, classes, 3).map(formatTeacherOutput).join('\n') + '\n');
});

const agreement = (a: Int32Array, b: Int32Array): number => a.reduce((n, x, i) => n + (x === b[i] ? 1 : 0), 0) / a.length;

test('a student distilled from a JSONL of a trained teacher\'s top-3 probabilities learns (loss decreases)', async () => {
  const outputs: TeacherOutput[] = readTeacherOutputs(outputsFile, { samples: transfer.length, classes: 10 });
  assert.equal(outputs.length, 1000);
  const losses: number[] = [];
  for (const maxSteps of [1, STEPS]) {
    const result = await blackBoxDistill({ student: buildArchitecture('mlp:32', { seed: 2 }), data: { train: transfer }, outputs, alpha: 0.1, trainer: trainer(2, maxSteps) });
    losses.push(result.lastLoss);
    if (maxSteps === STEPS) {
      const labelsOnly = await Trainer.create(buildArchitecture('mlp:32', { seed: 2 }), trainer(2), { train: transfer });
      const baseline = (await labelsOnly.fit()).model;
      await labelsOnly.dispose();
      const teacherOnTest = await predictions(teacher, test_);
      const distilled = await predictions(result.model, test_);
      const plain = await predictions(baseline, test_);
      const accuracy = (p: Int32Array) => agreement(p, Int32Array.from(test_.labels));
      console.log(
        `black-box KD (top-3, alpha 0.1, ${STEPS} steps): loss ${losses[0]!.toFixed(4)} → ${losses[1]!.toFixed(4)}; on 1000 test images: ` +
          `teacher accuracy ${accuracy(teacherOnTest).toFixed(3)}, student agreement with teacher ${agreement(distilled, teacherOnTest).toFixed(3)} ` +
          `(accuracy ${accuracy(distilled).toFixed(3)}), labels-only student agreement ${agreement(plain, teacherOnTest).toFixed(3)} (accuracy ${accuracy(plain).toFixed(3)})`,
      );
    }
  }
  assert.ok(losses.every(Number.isFinite));
  assert.ok(losses[1]! < losses[0]!, `loss after ${STEPS} steps ${losses[1]} is not below the first step's ${losses[0]}`);
});

test('alpha = 1 leaves the teacher out; alpha = 0 is the KL alone; a wrong count or augmentation is refused', async () => {
  assert.deepEqual(blackBoxTerms(1).map((t) => t.name), ['ce']);
  assert.deepEqual(blackBoxTerms(0).map((t) => t.name), ['kd']);
  assert.deepEqual(blackBoxTerms(0.3).map((t) => [t.name, t.weight]), [['ce', 0.3], ['kd', 0.7]]);
  assert.throws(() => blackBoxTerms(1.5), /alpha must be between 0 and 1/);
  const outputs = readTeacherOutputs(outputsFile, { samples: transfer.length, classes: 10 });
  const student = buildArchitecture('mlp:8', { seed: 3 });
  await assert.rejects(createBlackBoxTrainer({ student, data: { train: subset(transfer, 500) }, outputs, alpha: 0.1, trainer: trainer(3) }), (e: RetortError) => e.code === 'DATA_INVALID' && /1000 teacher outputs for 500 training samples/.test(e.message));
  await assert.rejects(
    createBlackBoxTrainer({ student, data: { train: transfer }, outputs, alpha: 0.1, trainer: { ...trainer(3), augmentation: { kind: 'jitter', maxShift: 1, height: 28, width: 28 } } }),
    /cannot augment/,
  );
});
