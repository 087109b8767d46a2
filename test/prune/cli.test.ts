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
