/**
 * `retort demo` end to end on a tiny recipe (1000 MNIST images, small nets, 1-3 epochs, a 1-epoch
 * masked fine-tune, int8 calibrated on 64 images), spawned as a user runs it: the five ONNX files,
 * results.json and report.html, the table's columns, reuse of finished stages, and resuming a killed
 * stage from its checkpoint. The real recipes are runs, not tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataType } from '../../src/onnx/dtype.js';
import { loadModel } from '../../src/onnx/model.js';
import type { DemoResults } from '../../src/recipe/hinton/pipeline.js';
import { DEFAULT_RECIPE, FULL_RECIPE, stageHash, type HintonRecipe } from '../../src/recipe/hinton/recipe.js';

const cli = path.resolve('dist/src/cli/main.js');

function demo(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, 'demo', '--threads', '2', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tempDir = (): string => mkdtempSync(path.join(os.tmpdir(), 'retort-demo-'));

const sgd = { kind: 'sgd' as const, momentum: 0.9, nesterov: true, weightDecay: 0 };

function tinyRecipe(overrides: Partial<HintonRecipe> = {}): HintonRecipe {
  return {
    name: 'tiny',
    limitTrain: 1000,
    validation: 0,
    teacher: { arch: 'mlp:64,64,dropout=0.5', epochs: 1, batchSize: 100, optimizer: sgd, lr: 0.1, warmupEpochs: 0, maxNorm: 3.5, jitter: 2 },
    hardStudent: { arch: 'mlp:32,32', epochs: 1, batchSize: 100, optimizer: sgd, lr: 0.05, warmupEpochs: 0, maxNorm: null, jitter: 0 },
    distilledStudent: { arch: 'mlp:32,32', epochs: 1, batchSize: 100, optimizer: sgd, lr: 0.05, warmupEpochs: 0, maxNorm: null, jitter: 0, temperature: 20, alpha: 0.1 },
    pruned: { sparsity: 0.8, scope: 'global', epochs: 1, batchSize: 100, optimizer: sgd, lr: 0.01 },
    prunedInt8: { calibrationImages: 64, percentile: 99.99 },
    // No intervals except where a test checks them: the bootstrap is most of the report's time.
    report: { bootstrap: 0 },
    latency: { batch1: { runs: 5, warmup: 1 }, throughput: { batchSize: 128, runs: 3, warmup: 1 } },
    ...overrides,
  };
}

function writeRecipe(dir: string, recipe: HintonRecipe): string {
  const file = path.join(dir, 'recipe.json');
  writeFileSync(file, JSON.stringify(recipe));
  return file;
}

const MODEL_FILES = ['teacher.onnx', 'student-hard.onnx', 'student-distilled.onnx', 'student-pruned.onnx', 'student-pruned-int8.onnx'];
const TRAINING_STAGES = ['teacher', 'hardStudent', 'distilledStudent', 'pruned'] as const;

test('a tiny demo writes the five ONNX models, results.json with recipe, seeds, histories and timings, report.html, and one table', () => {
  const dir = tempDir();
  const out = path.join(dir, 'out');
  const r = demo('--recipe', writeRecipe(dir, tinyRecipe({ report: { bootstrap: 200 } })), '--out', out, '--seed', '3');
  assert.equal(r.status, 0, r.stderr);
  for (const f of [...MODEL_FILES, 'report.html']) assert.ok(existsSync(path.join(out, f)), f);
  const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as DemoResults;
  assert.equal(results.format, 'retort-demo-results');
  assert.equal(results.seed, 3);
  assert.equal(results.recipe.name, 'tiny');
  assert.match(results.recipeHash, /^[0-9a-f]{16}$/);
  assert.deepEqual(results.data, { train: 1000, validation: 0, evaluationSet: 'test', evaluationSamples: 10000 });
  assert.deepEqual(Object.keys(results.stages), ['teacher', 'hardStudent', 'distilledStudent', 'pruned', 'prunedInt8']);
  for (const name of TRAINING_STAGES) {
    const stage = results.stages[name];
    assert.equal(stage.status, 'complete');
    assert.equal(stage.skipped, false);
    assert.equal(stage.seed, 3);
    assert.equal(stage.history.length, 1);
    assert.ok(stage.history[0]!.trainLoss > 0 && stage.history[0]!.seconds > 0, JSON.stringify(stage.history[0]));
    assert.ok(stage.timings.secondsPerStep > 0);
  }
  assert.equal(results.stages.distilledStudent.teacherSignal, 'cached');
  assert.equal(results.stages.pruned.teacherSignal, 'cached', 'the masked fine-tune distills from the teacher');
  assert.equal(results.stages.prunedInt8.status, 'complete');
  assert.equal(results.stages.prunedInt8.settings.calibrationImages, 64);
  // QDQ on the three Gemm layers (int8 weights) and their two Relu outputs.
  assert.equal(results.stages.prunedInt8.quantizedNodes, 5);
  const int8Weights = loadModel(path.join(out, 'student-pruned-int8.onnx')).graph!.initializer.filter((t) => t.dataType === DataType.INT8 && t.dims.length === 2);
  assert.equal(int8Weights.length, 3);
  assert.deepEqual(results.models.map((m) => m.label), [
    'teacher 784-64-64-10',
    'student, hard labels 784-32-32-10',
    'student, distilled 784-32-32-10',
    'student, distilled, pruned 80% 784-32-32-10',
    'student, distilled, pruned 80% + int8 784-32-32-10',
  ]);
  for (const m of results.models) {
    assert.equal(m.evaluation.set, 'test');
    assert.equal(m.evaluation.samples, 10000);
    // Better than chance for the trained models; the tiny students are barely trained, so pruning may take them back to chance.
    const limit = m.stage === 'pruned' || m.stage === 'prunedInt8' ? 10000 : 9000;
    assert.ok(m.evaluation.errors > 0 && m.evaluation.errors < limit, `${m.label}: ${m.evaluation.errors} errors`);
    assert.equal(m.fileBytes, statSync(m.file).size);
    assert.ok(m.gzipBytes > 0 && m.gzipBytes < m.fileBytes, `${m.label}: gzip ${m.gzipBytes} of ${m.fileBytes}`);
    assert.ok(m.latency.batch1.p50Ms > 0 && m.latency.throughput.samplesPerSecond > 0);
    assert.equal(m.latency.threads, 2);
  }
  assert.equal(results.models[0]!.parameters, 784 * 64 + 64 + 64 * 64 + 64 + 64 * 10 + 10);
  assert.equal(results.models[0]!.nonZeroParameters, results.models[0]!.parameters);
  // 80% of the 784*32 + 32*32 + 32*10 weights (one global threshold) pruned; biases kept; the fine-tune keeps them zero.
  const [, , distilled, pruned, int8] = results.models;
  const weights = 784 * 32 + 32 * 32 + 32 * 10;
  assert.equal(pruned!.parameters, distilled!.parameters);
  assert.equal(distilled!.parameters - pruned!.nonZeroParameters, Math.round(0.8 * weights));
  assert.ok(pruned!.gzipBytes < distilled!.gzipBytes / 2, `pruned gzip ${pruned!.gzipBytes} vs ${distilled!.gzipBytes}`);
  // int8 keeps the zeros (symmetric weights, zero point 0) and stores a quarter of the bytes.
  assert.ok(int8!.fileBytes < pruned!.fileBytes / 2, `int8 ${int8!.fileBytes} vs ${pruned!.fileBytes} bytes`);
  assert.ok(int8!.parameters - int8!.nonZeroParameters >= Math.round(0.8 * weights), `int8 zeros ${int8!.parameters - int8!.nonZeroParameters}`);
  // 8-bit weights and activations change few predictions of the model they quantize.
  assert.ok(Math.abs(int8!.evaluation.errors - pruned!.evaluation.errors) <= 300, `int8 ${int8!.evaluation.errors} vs pruned ${pruned!.evaluation.errors} errors`);
  assert.deepEqual(results.compression.map((c) => c.stage), ['pruned', 'prunedInt8']);
  assert.equal(results.report!.file, path.join(out, 'report.html'));
  assert.equal(results.report!.teacher, 'teacher 784-64-64-10');
  assert.equal(results.report!.bootstrap, 200);
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  for (const m of results.models) assert.ok(html.includes(m.label), `${m.label} in report.html`);
  assert.ok(results.timings.totalSeconds > 0);

  const [header, ...rows] = r.stdout.split('\n');
  for (const column of ['model', 'parameters', 'non-zero', 'file size', 'gzip', 'test errors (of 10000)', 'p50 ms, batch 1', 'samples/s, batch 128']) assert.ok(header!.includes(column), `${column} in ${header}`);
  assert.match(rows[0]!, /^teacher 784-64-64-10\s+55,050\s+55,050\s+\d+\.\d KiB\s+\d+\.\d KiB\s+[\d,]+\s+\d+\.\d{3}\s+[\d,]+$/);
  assert.match(rows[4]!, /^student, distilled, pruned 80% \+ int8 784-32-32-10\s+[\d,]+\s+[\d,]+\s/);
  assert.doesNotMatch(r.stdout + r.stderr, /not available/);
  assert.match(r.stdout, /^report\s+.*report\.html \(test set, fidelity to the teacher 784-64-64-10, 200 bootstrap resamples/m);
  assert.match(r.stderr, /^report: .*report\.html$/m);
});

test('re-running reuses finished stages; a changed stage reruns with everything downstream of it, nothing upstream', () => {
  const dir = tempDir();
  const out = path.join(dir, 'out');
  const recipe = tinyRecipe();
  assert.equal(demo('--recipe', writeRecipe(dir, recipe), '--out', out).status, 0);
  const mtimes = MODEL_FILES.map((f) => statSync(path.join(out, f)).mtimeMs);

  const again = demo('--recipe', writeRecipe(dir, recipe), '--out', out, '--json');
  assert.equal(again.status, 0, again.stderr);
  assert.equal(again.stderr.match(/finished earlier/g)?.length, 5, again.stderr);
  assert.deepEqual(MODEL_FILES.map((f) => statSync(path.join(out, f)).mtimeMs), mtimes);
  const results = JSON.parse(again.stdout) as DemoResults;
  assert.deepEqual(Object.values(results.stages).map((s) => s.skipped), [true, true, true, true, true]);

  // A new calibration percentile redoes only the int8 stage.
  const percentile = demo('--recipe', writeRecipe(dir, { ...recipe, prunedInt8: { ...recipe.prunedInt8, percentile: 99.9 } }), '--out', out);
  assert.equal(percentile.status, 0, percentile.stderr);
  assert.equal(percentile.stderr.match(/finished earlier/g)?.length, 4, percentile.stderr);
  assert.deepEqual(MODEL_FILES.slice(0, 4).map((f) => statSync(path.join(out, f)).mtimeMs), mtimes.slice(0, 4));
  assert.notEqual(statSync(path.join(out, 'student-pruned-int8.onnx')).mtimeMs, mtimes[4]);

  // New distillation settings retrain the distilled student and everything made from it.
  const warmer = demo('--recipe', writeRecipe(dir, { ...recipe, distilledStudent: { ...recipe.distilledStudent, temperature: 4 } }), '--out', out);
  assert.equal(warmer.status, 0, warmer.stderr);
  assert.equal(warmer.stderr.match(/finished earlier/g)?.length, 2, warmer.stderr);
  for (const [i, f] of MODEL_FILES.entries()) if (i >= 2) assert.notEqual(statSync(path.join(out, f)).mtimeMs, mtimes[i], f);
});

/** Runs the demo and kills it as soon as `line` is announced (the epoch's checkpoint and metrics are on disk by then). */
function killAt(file: string, out: string, line: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'demo', '--threads', '2', '--recipe', file, '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.includes(line)) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`demo ended (${code}) before it could be killed:\n${stderr}`))));
  });
}

test('a demo killed during a stage resumes that stage from its checkpoint', async () => {
  const dir = tempDir();
  const out = path.join(dir, 'out');
  const recipe = tinyRecipe({ teacher: { ...tinyRecipe().teacher, epochs: 3 } });
  const file = writeRecipe(dir, recipe);
  await killAt(file, out, 'teacher: epoch 1/3');
  assert.ok(existsSync(path.join(out, 'teacher.ckpt')));
  assert.ok(!existsSync(path.join(out, 'teacher.onnx')));

  const r = demo('--recipe', file, '--out', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /teacher: resuming from step 10 of 30/);
  const results = JSON.parse(r.stdout) as DemoResults;
  assert.equal(results.stages.teacher.resumedFromStep, 10);
  assert.deepEqual(results.stages.teacher.history.map((e) => e.epoch), [1, 2, 3]);
  assert.ok(!existsSync(path.join(out, 'teacher.ckpt')), 'the checkpoint of a finished stage is removed');
});

test('a demo killed during the masked fine-tune resumes it with the same masks', async () => {
  const dir = tempDir();
  const out = path.join(dir, 'out');
  const recipe = tinyRecipe({ pruned: { ...tinyRecipe().pruned, epochs: 2 } });
  const file = writeRecipe(dir, recipe);
  await killAt(file, out, 'pruned: epoch 1/2');
  assert.ok(existsSync(path.join(out, 'student-pruned.ckpt')));
  assert.ok(!existsSync(path.join(out, 'student-pruned.onnx')));

  const r = demo('--recipe', file, '--out', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr.match(/finished earlier/g)?.length, 3, r.stderr);
  // The checkpoint's configuration includes a digest of the masks: resuming proves they were rebuilt identically.
  assert.match(r.stderr, /pruned: resuming from step 10 of 20/);
  const results = JSON.parse(r.stdout) as DemoResults;
  assert.deepEqual(results.stages.pruned.history.map((e) => e.epoch), [1, 2]);
  const weights = 784 * 32 + 32 * 32 + 32 * 10;
  assert.equal(results.models[3]!.parameters - results.models[3]!.nonZeroParameters, Math.round(0.8 * weights));
});

test('bad command lines exit 2 and name the option', () => {
  const dir = tempDir();
  const both = demo('--full', '--recipe', writeRecipe(dir, tinyRecipe()), '--out', dir);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /--full and --recipe/);
  const file = path.join(dir, 'broken.json');
  writeFileSync(file, JSON.stringify({ ...tinyRecipe(), teacher: { ...tinyRecipe().teacher, epochs: 0 }, validation: -1 }));
  const broken = demo('--recipe', file, '--out', dir);
  assert.equal(broken.status, 2);
  // Every problem at once, each with its path.
  assert.match(broken.stderr, /validation: .*teacher\.epochs: |teacher\.epochs: .*validation: /);
  const seed = demo('--seed', 'x', '--out', dir);
  assert.equal(seed.status, 2);
  assert.match(seed.stderr, /--seed "x"/);
});

test('stage hashes: the distilled student depends on the teacher, compression on what it compresses; the students do not depend on each other', () => {
  const other = { ...DEFAULT_RECIPE, teacher: { ...DEFAULT_RECIPE.teacher, epochs: 99 } };
  assert.notEqual(stageHash(DEFAULT_RECIPE, 'distilledStudent', 0), stageHash(other, 'distilledStudent', 0));
  assert.equal(stageHash(DEFAULT_RECIPE, 'hardStudent', 0), stageHash(other, 'hardStudent', 0));
  assert.notEqual(stageHash(DEFAULT_RECIPE, 'teacher', 0), stageHash(DEFAULT_RECIPE, 'teacher', 1));
  for (const stage of ['pruned', 'prunedInt8'] as const) assert.notEqual(stageHash(DEFAULT_RECIPE, stage, 0), stageHash(other, stage, 0), stage);
  const sparser = { ...DEFAULT_RECIPE, pruned: { ...DEFAULT_RECIPE.pruned, sparsity: 0.9 } };
  assert.equal(stageHash(DEFAULT_RECIPE, 'distilledStudent', 0), stageHash(sparser, 'distilledStudent', 0));
  assert.notEqual(stageHash(DEFAULT_RECIPE, 'prunedInt8', 0), stageHash(sparser, 'prunedInt8', 0));
});

test('the default recipe: teacher without input dropout, 80% global pruning with a 2-epoch masked fine-tune, int8 on 512 images at percentile 99.99', () => {
  assert.equal(DEFAULT_RECIPE.teacher.arch, 'mlp:1200,1200,dropout=0.5');
  assert.deepEqual({ ...DEFAULT_RECIPE.pruned, optimizer: undefined }, { sparsity: 0.8, scope: 'global', epochs: 2, batchSize: 128, optimizer: undefined, lr: 0.01 });
  assert.deepEqual(DEFAULT_RECIPE.prunedInt8, { calibrationImages: 512, percentile: 99.99 });
  assert.deepEqual(FULL_RECIPE.distilledStudent, { ...DEFAULT_RECIPE.distilledStudent, epochs: FULL_RECIPE.distilledStudent.epochs });
});
