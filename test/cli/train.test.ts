/**
 * `retort train` end to end: the built CLI is spawned as a user would run it, on small slices of
 * MNIST so the whole file stays well under a minute.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TrainMetrics } from '../../src/cli/commands/train.js';
import { Session } from '../../src/runtime/session.js';
import { floatTensor } from '../../src/runtime/tensors.js';
import { fixturesDir } from '../helpers/fixtures.js';

const cli = path.resolve('dist/src/cli/main.js');

function retort(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, 'train', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tempDir = (): string => mkdtempSync(path.join(os.tmpdir(), 'retort-train-'));
const readMetrics = (dir: string): TrainMetrics => JSON.parse(readFileSync(path.join(dir, 'metrics.json'), 'utf8')) as TrainMetrics;

/** Runs the saved model in plain ORT on `count` zero samples of `dims`; returns the output dims. */
async function runSaved(file: string, dims: number[], count = 3): Promise<readonly number[]> {
  const session = await Session.create(readFileSync(file), { name: 'saved model' });
  try {
    const size = dims.reduce((a, b) => a * b, 1);
    const out = await session.run({ [session.inputNames[0]!]: floatTensor(new Float32Array(count * size), [count, ...dims]) }, [session.outputNames[0]!]);
    return out[session.outputNames[0]!]!.dims;
  } finally {
    await session.dispose();
  }
}

test('a quick run writes a loadable model.onnx and metrics.json with the history, test error, timings and config', async () => {
  const out = tempDir();
  const r = retort('--arch', 'mlp:64', '--data', 'mnist', '--out', out, '--limit-train', '2000', '--epochs', '1', '--seed', '7');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /test err %/);
  assert.match(r.stdout, /test error\s+\d+ of 10000 \(\d+\.\d\d%\)/);
  assert.deepEqual(await runSaved(path.join(out, 'model.onnx'), [784]), [3, 10]);
  assert.ok(existsSync(path.join(out, 'checkpoint.ckpt')));

  const m = readMetrics(out);
  assert.equal(m.status, 'complete');
  assert.equal(m.seed, 7);
  assert.deepEqual(m.data, { name: 'mnist', train: 1800, validation: 200, test: 10000, inputDims: [784] });
  assert.equal(m.stepsPerEpoch, 14); // floor(1800 / 128)
  assert.equal(m.steps, 14);
  assert.equal(m.epochs.length, 1);
  const [e] = m.epochs;
  assert.equal(e!.epoch, 1);
  assert.ok(e!.trainLoss > 0 && e!.trainAccuracy > 0.3, JSON.stringify(e));
  assert.equal(e!.validation!.samples, 200);
  assert.equal(e!.test.samples, 10000);
  assert.ok(e!.samplesPerSecond > 0 && e!.seconds > 0);
  // The final test error is a count out of 10000 and its percentage, and beats chance by far.
  assert.ok(m.test!.errors < 5000, `test errors ${m.test!.errors}`);
  assert.equal(m.test!.errorPercent, m.test!.errors / 100);
  assert.deepEqual(m.test, e!.test);
  assert.ok(m.timings.totalSeconds >= m.timings.trainSeconds && m.timings.samplesPerSecond > 0);
  assert.deepEqual(m.config.model, { source: 'arch', arch: 'mlp:64' });
  assert.deepEqual(m.config.optimizer, { kind: 'sgd', momentum: 0.9, nesterov: false, weightDecay: 0 });
  assert.deepEqual(m.config.schedule, { kind: 'cosine', lr: 0.1, totalSteps: 14, warmupSteps: 0 });
  assert.equal(m.config.limitTrain, 2000);
});

test('fine-tunes the imported PyTorch MLP (flat input) and the PyTorch LeNet-5 (image input)', async () => {
  const mlpOut = tempDir();
  const r = retort('--model', path.join(fixturesDir, 'mlp.onnx'), '--data', 'mnist', '--out', mlpOut, '--limit-train', '2000', '--epochs', '3', '--json');
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(r.stdout) as TrainMetrics;
  assert.equal(m.config.model.source, 'file');
  assert.deepEqual(m.data.inputDims, [784]);
  assert.ok(m.test!.errors < 4000, `test errors ${m.test!.errors}`);
  assert.deepEqual(await runSaved(path.join(mlpOut, 'model.onnx'), [784]), [3, 10]);

  const lenetOut = tempDir();
  const r2 = retort('--model', path.join(fixturesDir, 'lenet5_bn.onnx'), '--data', 'mnist', '--out', lenetOut, '--limit-train', '600', '--epochs', '1', '--lr', '0.02', '--json');
  assert.equal(r2.status, 0, r2.stderr);
  const m2 = JSON.parse(r2.stdout) as TrainMetrics;
  assert.deepEqual(m2.data.inputDims, [1, 28, 28]);
  assert.deepEqual(await runSaved(path.join(lenetOut, 'model.onnx'), [1, 28, 28]), [3, 10]);
});

test('bad options exit 2 with a message that lists the valid choices', () => {
  const out = tempDir();
  const base = ['--data', 'mnist', '--out', out, '--limit-train', '500'];
  const cases: [string[], RegExp][] = [
    [['--arch', 'mlp:8', '--optimizer', 'rmsprop', ...base], /--optimizer "rmsprop": should be one of: sgd, adam, adamw/],
    [['--arch', 'mlp:8', '--schedule', 'linear', ...base], /--schedule "linear": should be one of: cosine, step, constant/],
    [['--arch', 'mlp:8', ...base, '--data', 'cifar10'], /--data "cifar10": should be one of: mnist/],
    [['--arch', 'mlp:8', '--provider', 'cuda', ...base], /Unsupported provider "cuda". Should be one of: cpu, webgpu/],
    [['--arch', 'mlp:8', '--epochs', '0', ...base], /--epochs "0": expected a positive whole number/],
    [['--arch', 'mlp:8', '--lr', 'fast', ...base], /--lr "fast": expected a positive number/],
    [['--arch', 'mlp:8', '--optimizer', 'adam', '--momentum', '0.5', ...base], /--momentum and --nesterov apply to --optimizer sgd, not adam/],
    [['--arch', 'mlp:8', '--patience', '2', '--validation', '0', ...base], /--patience needs a validation set/],
    [['--arch', 'mlp:8', '--validation', '500', ...base], /--validation 500: must be smaller than the 500 training samples/],
    [['--arch', 'vgg16', ...base], /Architecture "vgg16": unknown architecture "vgg16". Should be one of: mlp:800,800,dropout=0.5, lenet-300-100, lenet5/],
    [['--arch', 'mlp:8', '--model', path.join(fixturesDir, 'mlp.onnx'), ...base], /Give exactly one of --model FILE.onnx .* or --arch SPEC/],
    [[...base], /Give exactly one of --model/],
    [['--arch', 'mlp:8', '--out', out], /required option '--data <name>' not specified/],
    [['--arch', 'mlp:8', '--bogus', ...base], /unknown option '--bogus'/],
  ];
  for (const [args, message] of cases) {
    const r = retort(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
  assert.ok(!existsSync(path.join(out, 'metrics.json')), 'a rejected command line writes nothing');
  const resume = retort('--arch', 'mlp:8', ...base, '--resume');
  assert.equal(resume.status, 1);
  assert.match(resume.stderr, /--resume: no checkpoint at .*checkpoint.ckpt/);
  const help = spawnSync(process.execPath, [cli, 'train', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  for (const flag of ['--model', '--arch', '--data', '--max-steps', '--resume', '--limit-train', '--checkpoint-every', '--nesterov', '--max-norm', '--json']) assert.ok(help.stdout.includes(flag), flag);
});

test('a run stopped by --max-steps and continued with --resume ends bit-identical to an uninterrupted run', async () => {
  // Dropout, Nesterov momentum, weight decay, clipping, max-norm and a warmup-cosine schedule all in play;
  // 1800 training samples are 14 steps per epoch, so the stop at step 17 falls mid-epoch 2.
  const run = ['--arch', 'mlp:48,dropout=0.2', '--data', 'mnist', '--limit-train', '2000', '--epochs', '3', '--nesterov', '--weight-decay', '5e-4',
    '--clip-norm', '5', '--max-norm', '3', '--warmup-steps', '5', '--seed', '3'];
  const whole = tempDir();
  const interrupted = tempDir();
  const a = retort(...run, '--out', whole, '--json');
  assert.equal(a.status, 0, a.stderr);
  const b1 = retort(...run, '--out', interrupted, '--checkpoint-every', '5', '--max-steps', '17', '--json');
  assert.equal(b1.status, 0, b1.stderr);
  const stopped = JSON.parse(b1.stdout) as TrainMetrics;
  assert.equal(stopped.status, 'max-steps');
  assert.equal(stopped.steps, 17);
  assert.equal(stopped.epochs.length, 1);
  const partial = readFileSync(path.join(interrupted, 'model.onnx'));
  assert.notDeepEqual(partial, readFileSync(path.join(whole, 'model.onnx')));

  // Another run's command line cannot resume this checkpoint.
  const wrong = retort(...run.map((x) => (x === '3' ? '4' : x)), '--out', interrupted, '--resume');
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /another configuration|records another run/);

  const b2 = retort(...run, '--out', interrupted, '--resume', '--json');
  assert.equal(b2.status, 0, b2.stderr);
  const resumed = JSON.parse(b2.stdout) as TrainMetrics;
  const full = readMetrics(whole);
  assert.equal(resumed.resumedFromStep, 17);
  assert.equal(resumed.status, 'complete');
  assert.equal(resumed.steps, full.steps);
  assert.deepEqual(readFileSync(path.join(interrupted, 'model.onnx')), readFileSync(path.join(whole, 'model.onnx')));
  // Same per-epoch history (timings aside), including the epoch that straddled the stop.
  const strip = (m: TrainMetrics) => m.epochs.map(({ seconds: _s, samplesPerSecond: _r, ...rest }) => rest);
  assert.deepEqual(strip(resumed), strip(full));
  assert.deepEqual(resumed.test, full.test);
});
