/** `retort prune` end to end: the built CLI spawned as a user runs it, on a small built model and MNIST's test set. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { buildMlp } from '../../src/models/mlp.js';
import { saveModel } from '../../src/onnx/model.js';

const cli = path.resolve('dist/src/cli/main.js');
const run = (args: string[]) => spawnSync(process.execPath, [cli, 'prune', ...args], { encoding: 'utf8' });

test('retort prune writes a 2:4-pruned model and reports sparsity, sizes and accuracy; bad options exit 2', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retort-prune-'));
  try {
    const model = path.join(dir, 'mlp.onnx');
    saveModel(buildMlp({ hidden: [32], numClasses: 10, seed: 1 }), model);
    const out = path.join(dir, 'pruned.onnx');
    const result = run([model, '--out', out, '--method', 'magnitude', '--pattern', '2:4', '--json']);
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { sparsityReport: { prunable: { sparsity: number }; layers: { name: string; sparsity: number }[] }; before: { gzipBytes: number }; after: { gzipBytes: number; testAccuracy: number } };
    // 784 and 32 inputs per unit: both multiples of 4, so exactly half of every layer.
    assert.equal(report.sparsityReport.prunable.sparsity, 0.5);
    assert.ok(report.after.gzipBytes < report.before.gzipBytes);
    const bad = run([model, '--out', out, '--method', 'nope']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /should be one of: magnitude, han, movement, wanda, random/);
    assert.equal(run([model, '--out', out, '--schedule', 'agp']).status, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('retort prune --method wanda: the calibration order is reported and checked; --layer-error reports each pruned layer', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retort-prune-wanda-'));
  try {
    const model = path.join(dir, 'mlp.onnx');
    saveModel(buildMlp({ hidden: [16], numClasses: 10, seed: 2 }), model);
    const out = path.join(dir, 'pruned.onnx');
    const result = run([model, '--out', out, '--method', 'wanda', '--sparsity', '0.5', '--calibration-size', '32', '--layer-error', '--json']);
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { calibration: string; layerOutputErrors: { layer: string; pooled: number; max: number; samples: number }[] };
    assert.equal(report.calibration, 'sequential');
    assert.equal(report.layerOutputErrors.length, 2, 'both Gemm weights pruned');
    for (const l of report.layerOutputErrors) {
      assert.equal(l.samples, 10_000);
      assert.ok(l.pooled > 0 && l.pooled <= l.max, `${l.layer}: pooled ${l.pooled}, max ${l.max}`);
    }
    const global = run([model, '--out', out, '--method', 'wanda', '--scope', 'global', '--calibration', 'sequential']);
    assert.equal(global.status, 2);
    assert.match(global.stderr, /--calibration: sequential calibration prunes layer by layer/);
    const notWanda = run([model, '--out', out, '--calibration', 'one-pass']);
    assert.equal(notWanda.status, 2);
    assert.match(notWanda.stderr, /--calibration: the calibration order is Wanda's; magnitude measures no activations/);
    const table = run([model, '--out', out, '--method', 'magnitude', '--layer-error']);
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /Layer output error on the 10000 test samples/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
