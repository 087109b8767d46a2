/**
 * The recipe stage kind `prune`, called as the runner calls it, on MLPs and the first 1000 MNIST
 * images: exact sparsity of what it writes (per layer, N:M), masks kept through a distillation
 * fine-tune, structured pruning to a MAC target, exact resume of the fine-tune, and kwargs checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { Graph } from '../../../src/onnx/graph.js';
import { listParameters } from '../../../src/onnx/parameters.js';
import type { ModelProto } from '../../../src/onnx/proto.js';
import { readFloat32 } from '../../../src/onnx/tensor.js';
import { findPrunableLayers } from '../../../src/prune/layers.js';
import { stageKinds } from '../../../src/recipe/stages/index.js';
import { pruneStage, type PruneKwargs } from '../../../src/recipe/stages/prune.js';
import { assertRunsInOrt, builtModel, sameBytes, trainedModel } from './compressionModels.js';
import { stageContext, tempDir } from './context.js';

const kwargs = (k: Record<string, unknown>): PruneKwargs => pruneStage.kwargs.parse(k);

/** Zeros of each prunable weight in the model, by parameter name. */
function zerosByLayer(model: ModelProto): Map<string, { zeros: number; count: number }> {
  const values = new Map(listParameters(new Graph(model.graph!)).map((p) => [p.name, readFloat32(p.tensor)]));
  return new Map(findPrunableLayers(model).map((l) => {
    const w = values.get(l.name)!;
    return [l.name, { zeros: w.filter((v) => v === 0).length, count: w.length }];
  }));
}

test('registered as `prune`; kwargs problems are reported together, each at its path', () => {
  assert.equal(stageKinds.get('prune'), pruneStage);
  const result = pruneStage.kwargs.safeParse({ sparsity: 0.6, pattern: '2:4', schedule: { key: 'agp' }, importance: { key: 'wanda', kwargs: { calibrationSamples: 0 } }, extra: 1 });
  assert.equal(result.success, false);
  const issues = result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  for (const expected of [/^pattern: 2:4 prunes exactly 50%/, /^pattern: 2:4 runs with the oneshot schedule/, /^fineTune: the agp schedule prunes while training/, /^importance\.kwargs\.calibrationSamples: /, /Unrecognized key: "extra"/]) {
    assert.ok(issues.some((i) => expected.test(i)), `${expected} among:\n${issues.join('\n')}`);
  }
  assert.match(pruneStage.kwargs.safeParse({}).error!.issues[0]!.message, /give a sparsity/);
  assert.equal(pruneStage.kwargs.safeParse({ structured: { targetMacs: 0.5 }, sparsity: 0.5 }).error!.issues[0]!.path.join('.'), 'sparsity');
  assert.match(JSON.stringify(pruneStage.kwargs.safeParse({ importance: { key: 'l1' }, sparsity: 0.5 }).error!.issues), /magnitude/);
  const sequentialGlobal = pruneStage.kwargs.safeParse({ sparsity: 0.5, importance: { key: 'wanda', kwargs: { scope: 'global', calibration: 'sequential' } } });
  assert.deepEqual(sequentialGlobal.error!.issues.map((i) => i.path.join('.')), ['importance.kwargs.calibration']);
  assert.equal(pruneStage.kwargs.safeParse({ sparsity: 0.5, importance: { key: 'wanda', kwargs: { calibration: 'one-pass' } } }).success, true);
});

test('magnitude 80% per layer, distilled fine-tune: each layer exactly 80% zeros in model.onnx, which runs in ORT', async () => {
  const dir = tempDir('retort-prune-');
  const teacher = await trainedModel(dir, 'mlp:64', 1);
  const student = builtModel(dir, 'mlp:32', 2);
  const ctx = stageContext({ models: { model: student, teacher }, seed: 4 });
  const out = await pruneStage.run(ctx, kwargs({ importance: { key: 'magnitude', kwargs: { scope: 'layer' } }, sparsity: 0.8, fineTune: { epochs: 2, batchSize: 100, optimizer: { key: 'sgd', kwargs: { lr: 0.1 } } } }));
  const model = await assertRunsInOrt(out.artifacts.model!);
  for (const [name, { zeros, count }] of zerosByLayer(model)) assert.equal(zeros, Math.round(0.8 * count), `${name}: ${zeros} zeros of ${count}`);
  const m = out.metrics as Record<string, unknown>;
  assert.equal(m.distilled, true);
  assert.equal(m.schedule, 'oneshot');
  const layers = m.layers as { layer: string; weights: number; zeros: number; sparsity: number }[];
  assert.deepEqual(layers.map((l) => l.zeros), layers.map((l) => Math.round(0.8 * l.weights)));
  assert.equal(m.parameters, 784 * 32 + 32 + 32 * 10 + 10);
  // Biases are not pruned, so the non-zero count is the kept weights plus (almost surely non-zero) biases.
  assert.equal(m.nonZeroParameters, layers.reduce((n, l) => n + l.weights - l.zeros, 0) + 42);
  assert.equal(m.testSamples, 1000);
  // From a random initialization, 20 steps of distillation take it well away from chance (90% error).
  assert.ok((m.testError as number) < 0.8, `test error ${m.testError} after the distilled fine-tune`);
});

test('2:4 pattern: exactly half of every layer, two of every four consecutive inputs kept', async () => {
  const dir = tempDir('retort-prune-');
  const ctx = stageContext({ models: { model: builtModel(dir, 'mlp:32', 3) } });
  const out = await pruneStage.run(ctx, kwargs({ pattern: '2:4' }));
  const model = await assertRunsInOrt(out.artifacts.model!);
  for (const [name, { zeros, count }] of zerosByLayer(model)) assert.equal(zeros, count / 2, name);
  assert.equal((out.metrics as { sparsityTarget: number }).sparsityTarget, 0.5);
});

test('structured: whole neurons removed to a MAC target, a smaller graph that runs in ORT', async () => {
  const dir = tempDir('retort-prune-');
  const ctx = stageContext({ models: { model: builtModel(dir, 'mlp:64,64', 5) } });
  const out = await pruneStage.run(ctx, kwargs({ structured: { targetMacs: 0.5 } }));
  await assertRunsInOrt(out.artifacts.model!);
  const m = out.metrics as { macsBefore: number; macsAfter: number; macs: number; parameters: number };
  assert.ok(m.macsAfter <= 0.5 * m.macsBefore, `${m.macsAfter} of ${m.macsBefore}`);
  assert.equal(m.macs, m.macsAfter);
  assert.ok(m.parameters < 784 * 64 + 64 + 64 * 64 + 64 + 64 * 10 + 10);
});

for (const schedule of [{ key: 'oneshot' }, { key: 'agp', kwargs: { updates: 4 } }]) {
  test(`${schedule.key}: a fine-tune stopped after 7 steps resumes from ctx.checkpoint to the same model as an uninterrupted one`, async () => {
    const dir = tempDir('retort-prune-');
    const student = builtModel(dir, 'mlp:32', 6);
    // 10 steps per epoch, 20 in all; agp updates the masks at steps 0, 3, 6, 9 and 12.
    const fineTune = { epochs: 2, batchSize: 100, checkpointEvery: 5, optimizer: { key: 'sgd', kwargs: { lr: 0.05 } } };
    const settings = { importance: { key: 'magnitude' }, sparsity: 0.5, schedule };
    const whole = await pruneStage.run(stageContext({ models: { model: student }, seed: 7 }), kwargs({ ...settings, fineTune }));
    const ctx = stageContext({ models: { model: student }, seed: 7 });
    await pruneStage.run(ctx, kwargs({ ...settings, fineTune: { ...fineTune, maxSteps: 7 } }));
    assert.ok(existsSync(ctx.checkpoint));
    const interrupted = path.join(dir, 'after-7-steps.onnx');
    copyFileSync(path.join(ctx.dir, 'model.onnx'), interrupted);
    const resumed = await pruneStage.run(ctx, kwargs({ ...settings, fineTune }));
    assert.ok(sameBytes(resumed.artifacts.model!, whole.artifacts.model!), 'resumed and uninterrupted models differ');
    assert.ok(!sameBytes(interrupted, whole.artifacts.model!), 'the 7-step model already equals the 20-step one');
    const layers = (resumed.metrics as { layers: { zeros: number; weights: number }[] }).layers;
    assert.deepEqual(layers.map((l) => l.zeros), layers.map((l) => Math.round(0.5 * l.weights)));
  });
}

test('wanda: sequential calibration by default (stated in the metrics), one-pass when asked; half of every row pruned', async () => {
  const dir = tempDir('retort-prune-wanda-');
  const model = await trainedModel(dir, 'mlp:32', 5);
  for (const calibration of [undefined, 'one-pass'] as const) {
    const ctx = stageContext({ models: { model }, seed: 2 });
    const out = await pruneStage.run(ctx, kwargs({ importance: { key: 'wanda', kwargs: { calibrationSamples: 64, ...(calibration ? { calibration } : {}) } }, sparsity: 0.5 }));
    const m = out.metrics as Record<string, unknown>;
    assert.deepEqual([m.importance, m.scope, m.wandaCalibration], ['wanda', 'row', calibration ?? 'sequential']);
    const pruned = await assertRunsInOrt(out.artifacts.model!);
    for (const [name, { zeros, count }] of zerosByLayer(pruned)) assert.equal(zeros, count / 2, name);
  }
});
