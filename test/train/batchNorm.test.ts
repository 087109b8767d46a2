import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Graph } from '../../src/onnx/graph.js';
import { float } from '../../src/onnx/attributes.js';
import { newGraph, newModel, newValueInfo } from '../../src/onnx/proto.js';
import { makeTensor } from '../../src/onnx/tensor.js';
import { floatTensor, int64Tensor } from '../../src/runtime/tensors.js';
import { exportInferenceModel } from '../../src/train/export.js';
import { buildTrainingGraph } from '../../src/train/trainingGraph.js';
import { Rng } from '../../src/util/random.js';
import { assertClose, randomArray, runSteps } from './helpers.js';

test('BatchNormalization trains with batch statistics and carries its running statistics as state', async () => {
  const [N, I, C] = [8, 5, 3];
  const rng = new Rng(4);
  const info = (name: string, dims: (number | string)[]) =>
    newValueInfo({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } } });
  const graph = new Graph(newGraph({ name: 'bn', input: [info('x', ['batch', I])], output: [info('logits', ['batch', C])] }));
  graph.addInitializer(makeTensor('fc.weight', [C, I], randomArray(rng, C * I)));
  graph.addInitializer(makeTensor('fc.bias', [C], randomArray(rng, C)));
  graph.addInitializer(makeTensor('bn.weight', [C], Float32Array.of(1, 1, 1)));
  graph.addInitializer(makeTensor('bn.bias', [C], Float32Array.of(0, 0, 0)));
  graph.addInitializer(makeTensor('bn.running_mean', [C], Float32Array.of(0, 0, 0)));
  graph.addInitializer(makeTensor('bn.running_var', [C], Float32Array.of(1, 1, 1)));
  graph.addNode({ opType: 'Gemm', inputs: ['x', 'fc.weight', 'fc.bias'], outputs: ['h'], attrs: { transB: 1 } });
  graph.addNode({ opType: 'BatchNormalization', inputs: ['h', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var'], outputs: ['logits'], attrs: { epsilon: float(1e-5), momentum: float(0.9) } });
  const model = newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: graph.proto });

  const tg = await buildTrainingGraph(model, { batchSize: N, loss: { kind: 'softmaxCrossEntropy', labels: 'index' }, optimizer: { kind: 'sgd' }, extraOutputs: ['h'] });
  assert.deepEqual(tg.parameters.map((p) => p.name).sort(), ['bn.bias', 'bn.weight', 'fc.bias', 'fc.weight']);
  assert.deepEqual(tg.state.map((s) => s.name).sort(), ['bn.running_mean', 'bn.running_var']);
  const x = randomArray(rng, N * I);
  const { values, last } = await runSteps(tg, 1, () => ({ x: floatTensor(x, [N, I]), labels: int64Tensor([0, 1, 2, 0, 1, 2, 0, 1], [N]) }), 0.1);
  const h = last.outputs.h!.data as Float32Array;
  const mean = [0, 1, 2].map((c) => Array.from({ length: N }, (_, n) => h[n * C + c]!).reduce((a, b) => a + b) / N);
  const variance = [0, 1, 2].map((c) => Array.from({ length: N }, (_, n) => (h[n * C + c]! - mean[c]!) ** 2).reduce((a, b) => a + b) / (N - 1));
  assertClose(values.get('bn.running_mean')!, mean.map((m) => 0.1 * m), 1e-5, 'running mean');
  assertClose(values.get('bn.running_var')!, variance.map((v) => 0.9 + 0.1 * v), 1e-5, 'running variance');
  // Export writes the running statistics into the BN initializers.
  const exported = exportInferenceModel(model, values);
  const stored = exported.graph!.initializer.find((t) => t.name === 'bn.running_mean')!;
  assertClose(new Float32Array(stored.rawData.slice().buffer), mean.map((m) => 0.1 * m), 1e-5, 'exported running mean');
});
