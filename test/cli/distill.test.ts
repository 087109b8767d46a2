/**
 * `retort distill` end to end: the built CLI spawned as a user runs it, with a small teacher
 * trained here by the library on 2000 MNIST samples, so the file stays within seconds.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DistillMetrics } from '../../src/cli/distillReport.js';
import { subset } from '../../src/data/dataset.js';
import { loadMnist } from '../../src/data/mnist.js';
import { buildMlp } from '../../src/models/mlp.js';
import { saveModel } from '../../src/onnx/model.js';
import { Session } from '../../src/runtime/session.js';
import { floatTensor } from '../../src/runtime/tensors.js';
import { Trainer } from '../../src/train/trainer.js';

const cli = path.resolve('dist/src/cli/main.js');
const tempDir = (): string => mkdtempSync(path.join(os.tmpdir(), 'retort-distill-'));

function retort(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, 'distill', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let teacherPath = '';

before(async () => {
  // A 784-64-10 teacher, two epochs on 2000 images: well above chance, a second or two of work.
  const teacher = buildMlp({ hidden: [64], seed: 1 });
  const trainer = await Trainer.create(
    teacher,
    { batchSize: 100, epochs: 2, seed: 1, optimizer: { kind: 'sgd', momentum: 0.9 }, schedule: { kind: 'constant', lr: 0.1 }, progress: 'silent' },
    { train: subset(loadMnist({ split: 'train' }), 2000) },
  );
  await trainer.fit();
  teacherPath = path.join(tempDir(), 'teacher.onnx');
  saveModel(trainer.exportModel(), teacherPath);
  await trainer.dispose();
});

async function runSaved(file: string): Promise<readonly number[]> {
  const session = await Session.create(readFileSync(file), { name: 'student' });
  try {
    const out = await session.run({ [session.inputNames[0]!]: floatTensor(new Float32Array(3 * 784), [3, 784]) }, [session.outputNames[0]!]);
    return out[session.outputNames[0]!]!.dims;
  } finally {
    await session.dispose();
  }
}

test('a quick --omit-class 3 run writes student.onnx and metrics.json with the history, errors per class, agreement and the bias correction', async () => {
  const out = tempDir();
  const r = retort('--teacher', teacherPath, '--student-arch', 'mlp:32', '--data', 'mnist', '--out', out, '--limit-train', '2000', '--epochs', '1',
    '--omit-class', '3', '--seed', '4', '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(await runSaved(path.join(out, 'student.onnx')), [3, 10]);
  assert.ok(existsSync(path.join(out, 'student-before-bias-correction.onnx')));
  assert.ok(existsSync(path.join(out, 'checkpoint.ckpt')));
  const { command, ...m } = JSON.parse(r.stdout) as DistillMetrics & { command: string[] };
  assert.deepEqual(JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')), m, 'stdout is metrics.json plus the command');
  assert.ok(command.includes('--omit-class'));

  assert.equal(m.status, 'complete');
  assert.equal(m.config.temperature, 20);
  assert.equal(m.config.alpha, 0.1);
  assert.equal(m.config.omitClass, 3);
  assert.equal(m.config.teacher.path, teacherPath);
  assert.deepEqual(m.config.student, { source: 'arch', arch: 'mlp:32' });
  assert.equal(m.teacherSignal, 'cached');
  // 2000 samples: the last 200 are the validation split, and the 1800 before them lose their 3s.
  const threes = loadMnist({ split: 'train' }).labels.subarray(0, 1800).filter((l) => l === 3).length;
  assert.deepEqual(m.data, { name: 'mnist', transferSet: 1800 - threes, omittedSamples: threes, validation: 200, test: 10000, inputDims: [784] });
  assert.equal(m.stepsPerEpoch, Math.floor((1800 - threes) / 128));
  assert.equal(m.epochs.length, 1);
  assert.ok(m.epochs[0]!.trainLoss > 0 && m.epochs[0]!.validation!.errors >= 0);

  // Teacher and final student: errors out of the 10000 test images, per class, and agreement.
  assert.equal(m.teacher.test.samples, 10000);
  assert.equal(m.teacher.test.teacherAgreement, 1);
  assert.ok(m.teacher.test.errors < 3000, `teacher errors ${m.teacher.test.errors}`);
  assert.ok(m.teacher.parameters > m.student.parameters);
  const t = m.test!;
  assert.equal(t.samples, 10000);
  assert.equal(t.perClass.length, 10);
  assert.equal(t.perClass.reduce((n, c) => n + c.errors, 0), t.errors);
  assert.equal(t.perClass[3]!.samples, 1010);
  assert.ok(t.teacherAgreement > 0.3 && t.teacherAgreement <= 1);

  const bias = m.biasCorrection!;
  assert.equal(bias.classIndex, 3);
  assert.equal(bias.errorsByOffset.length, 41);
  assert.equal(bias.errorsByOffset.find((e) => e.offset === bias.offset)!.errors, Math.min(...bias.errorsByOffset.map((e) => e.errors)));
  assert.equal(bias.errorsByOffset[0]!.errors, bias.validation.before.errors);
  assert.equal(bias.validation.after.errors, Math.min(...bias.errorsByOffset.map((e) => e.errors)));
  assert.equal(bias.validation.before.samples, 200);
  assert.equal(bias.test.before.classSamples, 1010);
  assert.equal(bias.test.after.errors, t.errors);
  assert.equal(bias.test.after.classErrors, t.perClass[3]!.errors);
  assert.ok(m.timings.totalSeconds >= m.timings.trainSeconds && m.timings.samplesPerSecond > 0);
});

test('the table compares teacher and student; --jitter runs the teacher per batch', () => {
  const out = tempDir();
  const r = retort('--teacher', teacherPath, '--student-arch', 'mlp:16', '--data', 'mnist', '--out', out, '--limit-train', '1000', '--epochs', '2', '--jitter', '--alpha', '0.5', '--temperature', '4');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /model\s+parameters\s+test errors\s+test err %\s+agreement %/);
  assert.match(r.stdout, /teacher\s+50,890\s+[\d,]+\s+\d+\.\d\d/);
  assert.match(r.stdout, /student\s+12,730\s+[\d,]+\s+\d+\.\d\d\s+\d+\.\d\d/);
  assert.match(r.stdout, /teacher logits per-batch/);
  assert.match(r.stdout, /jittered by up to 2 pixels/);
  const m = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) as DistillMetrics;
  assert.equal(m.teacherSignal, 'per-batch');
  // Each epoch is tested on its own (900 samples are 7 steps of 128 per epoch).
  assert.deepEqual(m.epochs.map((e) => [e.epoch, e.steps]), [[1, 7], [2, 14]]);
  assert.ok(m.epochs.every((e) => e.test.errors > 0 && e.test.teacherAgreement > 0));
  assert.equal(m.biasCorrection, null);
});

test('a run stopped by --max-steps and continued with --resume ends with the same student as an uninterrupted run', () => {
  const run = ['--teacher', teacherPath, '--student-arch', 'mlp:16', '--data', 'mnist', '--limit-train', '1000', '--epochs', '2', '--omit-class', '7', '--seed', '2', '--json'];
  const whole = tempDir();
  const interrupted = tempDir();
  assert.equal(retort(...run, '--out', whole).status, 0);
  const first = retort(...run, '--out', interrupted, '--max-steps', '9', '--checkpoint-every', '3');
  assert.equal(first.status, 0, first.stderr);
  assert.equal((JSON.parse(first.stdout) as DistillMetrics).status, 'max-steps');
  // Another temperature is another run: the checkpoint cannot continue it.
  const other = retort(...run, '--out', interrupted, '--resume', '--temperature', '4');
  assert.equal(other.status, 1);
  assert.match(other.stderr, /--resume: .*metrics.json records another run \(temperature 20\)/);
  const resumed = retort(...run, '--out', interrupted, '--resume');
  assert.equal(resumed.status, 0, resumed.stderr);
  const m = JSON.parse(resumed.stdout) as DistillMetrics;
  assert.equal(m.status, 'complete');
  assert.equal(m.resumedFromStep, 9);
  assert.deepEqual(readFileSync(path.join(interrupted, 'student.onnx')), readFileSync(path.join(whole, 'student.onnx')));
});

test('bad options exit 2 with a message naming the option and the valid values', () => {
  const out = tempDir();
  const base = ['--teacher', teacherPath, '--data', 'mnist', '--out', out, '--limit-train', '500'];
  const arch = ['--student-arch', 'mlp:8'];
  const cases: [string[], RegExp][] = [
    [[...arch, ...base, '--alpha', '1.5'], /--alpha "1.5": expected a number in \[0, 1\]/],
    [[...arch, ...base, '--temperature', '0'], /--temperature "0": expected a positive number/],
    [[...arch, ...base, '--data', 'cifar10'], /--data "cifar10": should be one of: mnist/],
    [[...arch, ...base, '--omit-class', '11'], /--omit-class 11: mnist has classes 0..9/],
    [[...arch, ...base, '--omit-class', 'three'], /--omit-class "three": expected a non-negative whole number/],
    [[...arch, '--student', teacherPath, ...base], /Give exactly one of --student FILE.onnx .* or --student-arch SPEC/],
    [[...base], /Give exactly one of --student/],
    [[...arch, ...base, '--teacher-signal', 'sometimes'], /--teacher-signal "sometimes": should be one of: auto, cached, per-batch/],
    [[...arch, ...base, '--jitter', '--teacher-signal', 'cached'], /--teacher-signal cached cannot go with --jitter/],
    [[...arch, ...base, '--omit-class', '3', '--validation', '0'], /--omit-class needs a validation split/],
    [[...arch, ...base, '--optimizer', 'rmsprop'], /--optimizer "rmsprop": should be one of: sgd, adam, adamw/],
    [[...arch, ...base, '--optimizer', 'adam', '--nesterov'], /--momentum and --nesterov apply to --optimizer sgd, not adam/],
  ];
  for (const [args, message] of cases) {
    const r = retort(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
  assert.ok(!existsSync(path.join(out, 'metrics.json')), 'a rejected command line writes nothing');
  const help = spawnSync(process.execPath, [cli, 'distill', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  for (const flag of ['--teacher', '--student', '--student-arch', '--temperature', '--alpha', '--jitter', '--teacher-signal', '--omit-class', '--resume', '--max-steps', '--momentum', '--schedule', '--json']) {
    assert.ok(help.stdout.includes(flag), flag);
  }
});
