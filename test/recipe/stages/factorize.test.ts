/**
 * The recipe stage kind `factorize`, called as the runner calls it: SVD to a parameter budget gives a
 * smaller model ORT loads (two Gemms per factorized layer), fine-tuned on the first 1000 MNIST images
 * and resumable from ctx.checkpoint to the same bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { factorizeStage, type FactorizeKwargs } from '../../../src/recipe/stages/factorize.js';
import { stageKinds } from '../../../src/recipe/stages/index.js';
import { assertRunsInOrt, sameBytes, trainedModel } from './compressionModels.js';
import { stageContext, tempDir } from './context.js';

const kwargs = (k: Record<string, unknown>): FactorizeKwargs => factorizeStage.kwargs.parse(k);
const fineTune = { epochs: 1, batchSize: 100, checkpointEvery: 3, optimizer: { key: 'sgd', kwargs: { lr: 0.02 } } };

test('registered as `factorize`; the rank is energy or budget', () => {
  assert.equal(stageKinds.get('factorize'), factorizeStage);
  assert.equal(factorizeStage.kwargs.safeParse({ rank: { key: 'energy', kwargs: { energy: 1.5 } } }).error!.issues[0]!.path.join('.'), 'rank.kwargs.energy');
  assert.match(JSON.stringify(factorizeStage.kwargs.safeParse({ rank: { key: 'svd' } }).error!.issues), /energy/);
});

test('a rank budget of 25%: fewer parameters, two Gemms through a bottleneck per layer, fine-tuned and resumable', async () => {
  const dir = tempDir('retort-factorize-');
  const model = await trainedModel(dir, 'mlp:64', 1);
  const settings = { rank: { key: 'budget', kwargs: { fraction: 0.25 } } };
  const whole = await factorizeStage.run(stageContext({ models: { model } }), kwargs({ ...settings, fineTune }));
  const out = await assertRunsInOrt(whole.artifacts.model!);
  const m = whole.metrics as Record<string, number>;
  assert.ok(m.layerParametersAfter! <= 0.25 * m.layerParametersBefore!);
  assert.ok(m.parameters! < 784 * 64 + 64 * 10);
  assert.ok(out.graph!.node.filter((n) => n.opType === 'Gemm' || n.opType === 'MatMul').length > 2);
  // Still a classifier, far from chance (90% error), after cutting three quarters of the layer parameters.
  assert.ok(m.testError! < 0.8, `test error ${m.testError}`);

  const ctx = stageContext({ models: { model } });
  await factorizeStage.run(ctx, kwargs({ ...settings, fineTune: { ...fineTune, maxSteps: 4 } }));
  const resumed = await factorizeStage.run(ctx, kwargs({ ...settings, fineTune }));
  assert.ok(sameBytes(resumed.artifacts.model!, whole.artifacts.model!), 'resumed and uninterrupted models differ');
});
