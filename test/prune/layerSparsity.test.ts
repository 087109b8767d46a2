/**
 * Per-layer sparsity (Han et al. 2015/2016 prune each layer to its own density): the library's mask
 * selection and plan checks, the recipe's `prune` stage (`layerSparsity`) and `retort prune
 * --layer-sparsity`, on a small built MLP (layers fc1.weight / node fc1 and fc2.weight / node fc2).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { buildMlp } from '../../src/models/mlp.js';
import { Graph } from '../../src/onnx/graph.js';
import { saveModel } from '../../src/onnx/model.js';
import type { ModelProto } from '../../src/onnx/proto.js';
import { readFloat32 } from '../../src/onnx/tensor.js';
import { scoreLayers } from '../../src/prune/importance/index.js';
import { findPrunableLayers, readLayerWeights } from '../../src/prune/layers.js';
import { layerSparsities, selectMasks } from '../../src/prune/masks.js';
import { pruningPlanProblems, runPruning } from '../../src/prune/plan.js';
import { pruneStage } from '../../src/recipe/stages/prune.js';
import { stageContext } from '../recipe/stages/context.js';

const mlp = (): ModelProto => buildMlp({ hidden: [32], numClasses: 10, seed: 1 });
const zeros = (model: ModelProto, name: string): number => readFloat32(new Graph(model.graph!).initializer(name)!).filter((v) => v === 0).length;
const FC1 = 32 * 784;
const FC2 = 10 * 32;

test('mask selection: named layers (weight or node name) get their own sparsity, the rest the default', () => {
  const model = mlp();
  const layers = findPrunableLayers(model);
  const scores = scoreLayers(layers, readLayerWeights(model, layers), { method: 'magnitude' });
  const { masks } = selectMasks(layers, scores, { pattern: 'unstructured', sparsity: 0.5, scope: 'layer', perLayer: { fc1: 0.9 } });
  const pruned = (name: string) => masks.get(name)!.filter((m) => m === 0).length;
  assert.equal(pruned('fc1.weight'), Math.round(0.9 * FC1));
  assert.equal(pruned('fc2.weight'), Math.round(0.5 * FC2));
  // Row scope: the layer's sparsity within each output unit.
  const rows = selectMasks(layers, scores, { pattern: 'unstructured', sparsity: 0, scope: 'row', perLayer: { 'fc2.weight': 0.25 } }).masks.get('fc2.weight')!;
  for (let r = 0; r < 10; r++) assert.equal(rows.subarray(r * 32, (r + 1) * 32).filter((m) => m === 0).length, 8, `row ${r}`);
  assert.deepEqual([...layerSparsities(layers, 0.1, { fc2: 0.3 })], [['fc1.weight', 0.1], ['fc2.weight', 0.3]]);
});

test('mask selection: unknown names list the layers; a layer named twice, a global scope and bad values are errors', () => {
  const model = mlp();
  const layers = findPrunableLayers(model);
  const scores = scoreLayers(layers, readLayerWeights(model, layers), { method: 'magnitude' });
  assert.throws(() => layerSparsities(layers, 0, { conv1: 0.3, fc1: 0.5 }), /"conv1": no such prunable layer; layers \(weight \/ node\): fc1\.weight \/ fc1, fc2\.weight \/ fc2/);
  assert.throws(() => layerSparsities(layers, 0, { fc1: 0.3, 'fc1.weight': 0.5 }), /named twice/);
  assert.throws(() => layerSparsities(layers, 0, { fc1: 1.5 }), /Sparsity must be in \[0, 1\], got 1\.5/);
  assert.throws(() => selectMasks(layers, scores, { pattern: 'unstructured', sparsity: 0.5, scope: 'global', perLayer: { fc1: 0.9 } }), /layer or row scope, not global/);
});

test('plan: per-layer sparsities run one-shot, unstructured, not global; each problem names the field', async () => {
  const target = { sparsity: 0, perLayer: { fc1: 0.9, fc2: 1.2 } };
  const problems = pruningPlanProblems({ importance: 'magnitude', target, pattern: { kind: 'n:m', n: 2, m: 4 }, schedule: { kind: 'iterative', rounds: 2 }, scope: 'global', trains: true, hasCalibrationSet: true });
  const perLayer = problems.filter((p) => p.field === 'perLayer').map((p) => p.message);
  for (const expected of [/sparsity 1\.2 of layer fc2/, /oneshot schedule .* not iterative/, /N:M pattern/, /not global/]) assert.ok(perLayer.some((m) => expected.test(m)), `${expected} among ${perLayer.join('; ')}`);
  const result = await runPruning(mlp(), { importance: 'magnitude', scope: 'layer', target: { sparsity: 0.2, perLayer: { fc1: 0.75 } }, pattern: { kind: 'unstructured' }, schedule: { kind: 'oneshot' }, seed: 0 });
  assert.equal(zeros(result.model, 'fc1.weight'), 0.75 * FC1);
  assert.equal(zeros(result.model, 'fc2.weight'), 0.2 * FC2);
});

test('prune stage: layerSparsity prunes each named layer exactly; unnamed layers stay dense without a sparsity', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retort-layer-sparsity-'));
  try {
    const file = path.join(dir, 'mlp.onnx');
    const model = mlp();
    saveModel(model, file);
    const ctx = stageContext({ dir, models: { model: { path: file, model } }, data: { limitTest: 200 } });
    const out = await pruneStage.run(ctx, pruneStage.kwargs.parse({ layerSparsity: { fc1: 0.92 } }));
    const layers = (out.metrics as { layers: { layer: string; weights: number; zeros: number }[] }).layers;
    assert.deepEqual(layers.map((l) => l.zeros), [Math.round(0.92 * FC1), 0]);
    assert.deepEqual((out.metrics as { layerSparsityTargets: unknown }).layerSparsityTargets, { fc1: 0.92 });
    const bad = pruneStage.kwargs.safeParse({ layerSparsity: { fc1: 1.5 }, schedule: { key: 'iterative' }, fineTune: { epochs: 1 } });
    const issues = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    assert.ok(issues.some((i) => i.startsWith('layerSparsity.fc1: ')), issues.join('\n'));
    const global = pruneStage.kwargs.safeParse({ layerSparsity: { fc1: 0.5 }, scope: 'global' }).error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    assert.ok(global.some((i) => /^layerSparsity: .*not global/.test(i)), global.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('retort prune --layer-sparsity: per-layer zeros in the written model; a malformed list exits 2', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retort-layer-sparsity-'));
  try {
    const file = path.join(dir, 'mlp.onnx');
    saveModel(mlp(), file);
    const out = path.join(dir, 'pruned.onnx');
    const cli = (...args: string[]) => spawnSync(process.execPath, [path.resolve('dist/src/cli/main.js'), 'prune', file, '--out', out, ...args], { encoding: 'utf8' });
    const ok = cli('--layer-sparsity', 'fc1=0.5,fc2.weight=0.25', '--sparsity', '0.1', '--json');
    assert.equal(ok.status, 0, ok.stderr);
    const report = JSON.parse(ok.stdout) as { layerSparsity: Record<string, number>; sparsityReport: { layers: { name: string; zeros: number }[] } };
    assert.deepEqual(report.layerSparsity, { fc1: 0.5, 'fc2.weight': 0.25 });
    assert.deepEqual(report.sparsityReport.layers.map((l) => [l.name, l.zeros]), [['fc1.weight', 0.5 * FC1], ['fc2.weight', 0.25 * FC2]]);
    const malformed = cli('--layer-sparsity', 'fc1');
    assert.equal(malformed.status, 2);
    assert.match(malformed.stderr, /NAME=FRACTION/);
    const unknown = cli('--layer-sparsity', 'conv9=0.5');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /"conv9": no such prunable layer/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
