import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixturesDir } from '../helpers/fixtures.js';

const cli = (...args: string[]) => spawnSync(process.execPath, ['dist/src/cli/main.js', 'gradcheck', ...args], { encoding: 'utf8' });

test('gradcheck --ref passes on the PyTorch tiny ResNet and prints each tensor', () => {
  const run = cli(path.join(fixturesDir, 'tiny_resnet.onnx'), '--ref', path.join(fixturesDir, 'tiny_resnet.ref'), '--json');
  assert.equal(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout) as { pass: boolean; checks: { name: string; relativeError: number }[] };
  assert.equal(result.pass, true);
  assert.ok(result.checks.some((c) => c.name === 'dw.weight' && c.relativeError < 1e-3));
});

test('gradcheck exits 1 when a tensor is out of tolerance', () => {
  const run = cli(path.join(fixturesDir, 'mlp.onnx'), '--ref', path.join(fixturesDir, 'mlp.ref'), '--tolerance', '1e-12');
  assert.equal(run.status, 1);
  assert.match(run.stdout, /FAIL/);
});

test('gradcheck without --ref checks finite differences on a random input', () => {
  const run = cli(path.join(fixturesDir, 'mlp.onnx'), '--seed', '3');
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /finite-differences: 7 of 7 within tolerance 0.02/);
});

test('a reference folder with a bad manifest is a clear error', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'retort-ref-'));
  cpSync(path.join(fixturesDir, 'mlp.ref'), dir, { recursive: true });
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ input: { file: 'input.bin', shape: [4, 784] } }));
  const run = cli(path.join(fixturesDir, 'mlp.onnx'), '--ref', dir);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /manifest.json is not a reference manifest: input.dtype: .*labels/s);
});

test('a bad --tolerance is a usage error', () => {
  const run = cli(path.join(fixturesDir, 'mlp.onnx'), '--tolerance', 'tiny');
  assert.equal(run.status, 2);
  assert.match(run.stderr, /--tolerance "tiny": expected a positive number/);
});
