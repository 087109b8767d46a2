/** `retort prune-structured`, `retort factorize` and `retort compress-deep` end to end (no data, so no training). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { decodeDeepCompressed } from '../../src/encode/dcFormat.js';
import { encodeModel, loadModel } from '../../src/onnx/model.js';
import { readTensor } from '../../src/onnx/tensor.js';
import { fixturesDir } from '../helpers/fixtures.js';

const cli = path.resolve('dist/src/cli/main.js');
const retort = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });

test('the three compression commands write what they report, and reject wrong options with exit 2', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retort-compress-'));
  try {
    const lenet = path.join(fixturesDir, 'lenet5_bn.onnx');
    const pruned = retort('prune-structured', lenet, '--out', path.join(dir, 'p.onnx'), '--target-macs', '0.6', '--json');
    assert.equal(pruned.status, 0, pruned.stderr);
    const report = JSON.parse(pruned.stdout) as { macsBefore: number; macsAfter: number };
    assert.ok(report.macsAfter <= 0.6 * report.macsBefore);
    assert.ok(existsSync(path.join(dir, 'p.onnx')));

    const factorized = retort('factorize', path.join(fixturesDir, 'mlp.onnx'), '--out', path.join(dir, 'f.onnx'), '--rank-budget', '0.5', '--report');
    assert.equal(factorized.status, 0, factorized.stderr);
    assert.match(factorized.stdout, /singular values/);

    const deep = retort('compress-deep', path.join(fixturesDir, 'mlp.onnx'), '--out', path.join(dir, 'dc'), '--sparsity', '0.9', '--json');
    assert.equal(deep.status, 0, deep.stderr);
    const decoded = decodeDeepCompressed(readFileSync(path.join(dir, 'dc', 'model.retort-dc')));
    assert.deepEqual(encodeModel(decoded), encodeModel(loadModel(path.join(dir, 'dc', 'model.onnx'))));
    // Han et al.'s per-layer sparsities: named layers take their own, the others stay dense.
    const perLayer = retort('compress-deep', path.join(fixturesDir, 'mlp.onnx'), '--out', path.join(dir, 'dc-layers'), '--layer-sparsity', 'l1.weight=0.92,l2.weight=0.5', '--json');
    assert.equal(perLayer.status, 0, perLayer.stderr);
    const zeros = (name: string) => {
      const w = loadModel(path.join(dir, 'dc-layers', 'pruned.onnx')).graph!.initializer.find((t) => t.name === name)!;
      const values = readTensor(w);
      return values.filter((v) => v === 0).length / values.length;
    };
    assert.ok(Math.abs(zeros('l1.weight') - 0.92) < 0.001, `l1: ${zeros('l1.weight')}`);
    assert.ok(Math.abs(zeros('l2.weight') - 0.5) < 0.001, `l2: ${zeros('l2.weight')}`);
    assert.equal(zeros('l3.weight'), 0);
    assert.deepEqual((JSON.parse(perLayer.stdout) as { layerSparsity: unknown }).layerSparsity, { 'l1.weight': 0.92, 'l2.weight': 0.5 });
    const unknownLayer = retort('compress-deep', path.join(fixturesDir, 'mlp.onnx'), '--out', path.join(dir, 'dc-x'), '--layer-sparsity', 'fc9=0.5');
    assert.equal(unknownLayer.status, 2);
    assert.match(unknownLayer.stderr, /"fc9": no such prunable layer; layers \(weight \/ node\): l1\.weight/);

    assert.equal(retort('factorize', lenet, '--out', path.join(dir, 'x.onnx')).status, 2);
    assert.equal(retort('prune-structured', lenet, '--out', path.join(dir, 'x.onnx'), '--importance', 'taylor').status, 2);
    const wrong = retort('prune-structured', lenet, '--out', path.join(dir, 'x.onnx'), '--structure', 'filters');
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /channels, blocks, heads, mlp, layers/);
    // Heads on a model without attention: the pattern error, exit 1.
    const heads = retort('prune-structured', lenet, '--out', path.join(dir, 'x.onnx'), '--structure', 'heads', '--keep-heads', '1', '--importance', 'l1');
    assert.equal(heads.status, 1);
    assert.match(heads.stderr, /No multi-head attention recognised/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
