import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildMlp } from '../../src/models/mlp.js';
import { encodeModel } from '../../src/onnx/model.js';
import { Session } from '../../src/runtime/session.js';
import { floatTensor, int64Tensor } from '../../src/runtime/tensors.js';
import { exportInferenceModel } from '../../src/train/export.js';
import { buildTrainingGraph } from '../../src/train/trainingGraph.js';
import { Rng } from '../../src/util/random.js';
import { assertClose, randomArray, runSteps } from './helpers.js';

test('the exported model runs in plain ORT and matches the training graph forward for the same weights', async () => {
  const N = 6;
  const model = buildMlp({ hidden: [12, 10], dropout: 0.5, inputDims: [8], numClasses: 4, seed: 2 });
  const tg = await buildTrainingGraph(model, {
    batchSize: N, loss: { kind: 'softmaxCrossEntropy', labels: 'index' }, optimizer: { kind: 'sgd', momentum: 0.9 }, extraOutputs: ['logits'],
  });
  const rng = new Rng(1);
  const x = randomArray(rng, N * 8);
  const labels = int64Tensor([0, 1, 2, 3, 0, 1], [N]);
  // Dropout masks of ones: the training forward is then the inference forward.
  const masks = Object.fromEntries(tg.dropout.map((d) => [d.input, floatTensor(new Float32Array(d.dims.reduce((a, b) => a * b, 1)).fill(1), d.dims)]));
  const feeds = () => ({ input: floatTensor(x, [N, 8]), labels, ...masks });
  // Three steps, so the weights differ from the model's; then one step with lr 0 reads the forward.
  const trained = await runSteps(tg, 3, feeds, 0.1);
  const exported = exportInferenceModel(model, new Map([...trained.values].filter(([name]) => tg.parameters.some((p) => p.name === name))));
  assert.equal(exported.graph!.node.filter((n) => n.opType === 'Dropout').length, 0);
  const session = await Session.create(encodeModel(exported));
  const inference = await session.run({ input: floatTensor(x, [N, 8]) });
  await session.dispose();

  const forwardGraph = await buildTrainingGraph(exported, {
    batchSize: N, loss: { kind: 'softmaxCrossEntropy', labels: 'index' }, optimizer: { kind: 'sgd' }, extraOutputs: ['logits'],
  });
  const { last } = await runSteps(forwardGraph, 1, () => ({ input: floatTensor(x, [N, 8]), labels }), 0);
  assertClose(inference.logits!.data as Float32Array, last.outputs.logits!.data as Float32Array, 1e-5, 'logits');
  // The source model is untouched by export.
  assert.notDeepEqual(trained.values.get('fc1.weight'), undefined);
});
