/**
 * `retort run` spawned as a user runs it: a recipe with many mistakes exits 2 with every problem
 * listed at its path; --validate, --set, --list-stages and --help; and the acceptance test —
 * a run stopped in the middle of a training stage (SIGTERM, then SIGKILL during the resumed attempt)
 * and run again finishes with the same model bytes and metrics as an uninterrupted run. The
 * training stage is the real `train` kind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Manifest } from '../../../src/recipe/pipeline/manifest.js';

const cli = path.resolve('dist/src/cli/main.js');
const tempDir = (): string => mkdtempSync(path.join(os.tmpdir(), 'retort-run-'));

function retort(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const BROKEN = `
name: broken
vars: { epochs: 0 }
data:
  mnist: { key: mnist, kwargs: { limitTrain: 100, validation: 200 } }
stages:
  - name: teacher
    key: train
    inputs: { data: mnist }
    kwargs: { arch: "mlp:8", epochs: \${vars.epochs}, batchSize: 10 }
  - name: check
    key: eval
    inputs: { model: techer.model, data: mnist }
    kwargs: { bootstrap: 1, confidence: 1.5, latency: { runs: 0 } }
  - name: all
    key: compare
    inputs: { models: [teacher.model, nothere.onnx], data: mnist }
    kwargs: { colour: red, title: "\${vars.title}" }
  - name: extra
    key: distil
`;

test('a recipe with many mistakes: exit 2 and one message listing each with its path', () => {
  const dir = tempDir();
  const file = path.join(dir, 'broken.yaml');
  writeFileSync(file, BROKEN);
  const r = retort('run', file, '--out', path.join(dir, 'out'));
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines[0], `error: Recipe ${file}: 10 problems`);
  const expected = [
    /^ {2}stages\[2\]\.kwargs\.title: unknown variable vars\.title \(declared: epochs\)$/,
    /^ {2}data\.mnist\.kwargs\.validation: validation must be smaller than limitTrain, got 200$/,
    /^ {2}stages\[0\]\.kwargs\.epochs: expected a whole number > 0, got 0$/,
    /^ {2}stages\[1\]\.kwargs\.bootstrap: give 0 \(no intervals\) or at least 2 resamples, got 1$/,
    /^ {2}stages\[1\]\.kwargs\.confidence: expected a number between 0 and 1, got 1\.5$/,
    /^ {2}stages\[1\]\.kwargs\.latency\.runs: expected a whole number > 0, got 0$/,
    /^ {2}stages\[1\]\.inputs\.model: "techer\.model": no model file at .*techer\.model \(a path relative to the recipe file, or STAGE\.OUTPUT of an earlier stage \(teacher\.model\)\)$/,
    /^ {2}stages\[2\]\.kwargs: unknown key "colour" \(valid: .*\)$/,
    /^ {2}stages\[2\]\.inputs\.models\[1\]: "nothere\.onnx": no model file at /,
    /^ {2}stages\[3\]\.key: unknown stage kind "distil" \(valid: .*compare.*distill.*eval.*train.*\)$/,
  ];
  assert.equal(lines.length, 1 + expected.length, r.stderr);
  expected.forEach((pattern, i) => assert.match(lines[i + 1]!, pattern));
  assert.ok(!existsSync(path.join(dir, 'out')), 'nothing runs, no run folder');
});

test('--validate prints the stages without running; --set overrides a variable; --json gives the resolved recipe', () => {
  const dir = tempDir();
  const file = path.join(dir, 'ok.yaml');
  writeFileSync(file, BROKEN.replace('validation: 200', 'validation: 20').replace(/ {2}- name: check[^]*$/, ''));
  const r = retort('run', file, '--validate', '--set', 'epochs=2');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^recipe broken: valid, 1 stage\n/);
  assert.match(r.stdout, /teacher\s+train\s+0\s+data=mnist/);
  const json = retort('run', file, '--validate', '--json', '--set', 'epochs=3');
  const recipe = JSON.parse(json.stdout) as { vars: Record<string, unknown>; stages: { kwargs: { epochs: number } }[] };
  assert.deepEqual(recipe.vars, { epochs: 3 });
  assert.equal(recipe.stages[0]!.kwargs.epochs, 3);
  assert.equal(retort('run', file, '--validate', '--set', 'epoch=3').status, 2);
  const missing = retort('run');
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /give a recipe file/);
});

test('--list-stages states every kind with inputs, outputs and kwargs; --help explains the format', () => {
  const r = retort('run', '--list-stages');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^eval — Evaluate one model/m);
  assert.match(r.stdout, /^compare — /m);
  assert.match(r.stdout, /^train — /m);
  assert.match(r.stdout, /models \(models\): the models to compare/);
  assert.match(r.stdout, /teacher \(model, optional\)/);
  assert.match(r.stdout, /bootstrap: whole number ≥ 0, default 1000 — percentile-bootstrap/);
  assert.match(r.stdout, /key: pgd — PGD/);
  const json = JSON.parse(retort('run', '--list-stages', '--json').stdout) as { key: string; outputs: string[] }[];
  assert.deepEqual(json.find((k) => k.key === 'eval')!.outputs, ['report', 'html']);
  const help = retort('run', '--help');
  assert.equal(help.status, 0);
  for (const text of ['--set <name=value>', '--list-stages', 'Recipe format', 'STAGE.OUTPUT', 'manifest.json']) assert.ok(help.stdout.includes(text), text);
});

const TRAINING = `
name: resume
seed: 4
data:
  mnist: { key: mnist, kwargs: { limitTrain: 5000, limitTest: 1000 } }
stages:
  - name: teacher
    key: train
    inputs: { data: mnist }
    kwargs: { arch: "mlp:64", epochs: 5, batchSize: 50, optimizer: { key: sgd, kwargs: { lr: 0.05, momentum: 0.9 } } }
  - name: check
    key: eval
    inputs: { model: teacher.model, data: mnist }
    kwargs: { bootstrap: 0, latency: { runs: 2, warmup: 0 } }
report: { bootstrap: 0, latency: { runs: 2, warmup: 0 } }
`;

/**
 * Runs the recipe and sends `signal` as soon as `line` is logged (the epoch's checkpoint is on disk
 * by then); resolves with the exit code (null when the signal killed it) and stderr.
 */
function stopAt(file: string, out: string, line: string, signal: NodeJS.Signals): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'run', file, '--out', out, '--threads', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let sent = false;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (!sent && stderr.includes(line)) sent = child.kill(signal);
    });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

const manifestOf = (out: string): Manifest => JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;

test('killed in the middle of a training stage and run again: the same model bytes and metrics as an uninterrupted run', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'resume.yaml');
  writeFileSync(file, TRAINING);
  const straight = path.join(dir, 'straight');
  const r = retort('run', file, '--out', straight, '--threads', '1', '--json');
  assert.equal(r.status, 0, r.stderr);

  // SIGTERM: recorded in the manifest, exit 143; then SIGKILL during the resumed attempt: nothing recorded.
  const killed = path.join(dir, 'killed');
  const terminated = await stopAt(file, killed, 'epoch 1:', 'SIGTERM');
  assert.equal(terminated.code, 143, terminated.stderr);
  assert.match(terminated.stderr, /SIGTERM: stopped during stage "teacher"; run the same command again to resume it from its checkpoint/);
  assert.equal(manifestOf(killed).status, 'interrupted');
  const sigkill = await stopAt(file, killed, 'epoch 3:', 'SIGKILL');
  assert.equal(sigkill.code, null, `killed before it finished:\n${sigkill.stderr}`);
  const interrupted = manifestOf(killed);
  assert.equal(interrupted.status, 'running');
  assert.deepEqual(interrupted.stages.map((s) => s.status), ['running', 'pending'], 'killed during the stage');
  assert.ok(existsSync(path.join(killed, 'teacher', 'checkpoint.ckpt')), 'its checkpoint is on disk');
  assert.ok(!existsSync(path.join(killed, 'teacher', 'model.onnx')));

  const again = retort('run', file, '--out', killed, '--threads', '1', '--json');
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /teacher \(train, stage [0-9a-f]+\): running again after an interrupted attempt, from its checkpoint/);
  const resumed = JSON.parse(again.stdout) as Manifest;
  const reference = manifestOf(straight);
  const teacher = resumed.stages[0]!;
  assert.deepEqual([teacher.status, teacher.attempts, teacher.checkpointFound, teacher.hash], ['complete', 3, true, reference.stages[0]!.hash]);
  assert.ok((teacher.metrics.resumedFromStep as number) >= 300, `resumed from step ${String(teacher.metrics.resumedFromStep)} (epoch 3 ends at step 300)`);
  assert.ok(!existsSync(path.join(killed, 'teacher', 'checkpoint.ckpt')), 'the checkpoint of a finished stage is removed');
  assert.ok(readFileSync(path.join(killed, 'teacher', 'model.onnx')).equals(readFileSync(path.join(straight, 'teacher', 'model.onnx'))), 'identical model bytes');
  const deterministic = (m: Manifest['stages'][number]) => ({ testError: m.metrics.testError, parameters: m.metrics.parameters, fileBytes: m.metrics.fileBytes });
  assert.deepEqual(deterministic(teacher), deterministic(reference.stages[0]!));
  assert.equal(resumed.stages[1]!.metrics.testAccuracy, reference.stages[1]!.metrics.testAccuracy);
  assert.ok(typeof teacher.metrics.testError === 'number');
  assert.equal(resumed.status, 'complete');
  assert.deepEqual(resumed.comparison?.models, ['teacher']);
});
