import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../src/onnx/model.js';
import { floatTensor } from '../../src/runtime/tensors.js';
import { outputAgreement } from '../../src/quantize/agreement.js';
import { quantizeStatic } from '../../src/quantize/static.js';
import { arrayCalibrationReader } from '../../src/quantize/calibration/reader.js';
import type { CalibratorOptions } from '../../src/quantize/calibration/calibrator.js';
import { Rng } from '../../src/util/random.js';
import { fixtureNames, loadFixture } from '../helpers/fixtures.js';
import { runFirstOutput } from './helpers.js';

const SEED = 5;
const calibrators: CalibratorOptions[] = [{ method: 'minmax' }, { method: 'percentile', percentile: 99.99 }, { method: 'entropy' }, { method: 'mse' }];

for (const name of ['mlp', 'lenet5_bn', 'tiny_resnet'].filter((n) => fixtureNames.includes(n))) {
  test(`static QDQ ${name}: loads in ORT, logits close to the float model for every calibrator`, async () => {
    const fx = loadFixture(name);
    const model = loadModel(fx.modelPath);
    const input = fx.input.data as Float32Array;
    const dims = fx.input.dims;
    // Calibration: the reference batch and 7 seeded perturbations of it (x + 0.1·N(0,1)-ish noise).
    const rng = new Rng(SEED);
    const batches = [input, ...Array.from({ length: 7 }, () => Float32Array.from(input, (x) => x + 0.1 * (rng.next() + rng.next() + rng.next() - 1.5)))];
    const float = await runFirstOutput(model, { input: floatTensor(input, dims) });
    const classes = float.length / dims[0]!;
    for (const calibrator of calibrators) {
      const result = await quantizeStatic(model, {
        method: 'static', activations: { type: 'uint8', symmetric: false }, weights: { symmetric: true, granularity: 'per-channel' }, calibrator, bias: 'int32',
      }, arrayCalibrationReader(batches.map((b) => ({ input: floatTensor(b, dims) }))));
      const quantized = await runFirstOutput(result.model, { input: floatTensor(input, dims) });
      const { cosineSimilarity: cosine, topOneAgreement: agreement } = outputAgreement(float, quantized, classes);
      console.log(`${name} ${calibrator.method}: cosine ${cosine.toFixed(5)}, top-1 agreement ${agreement}`);
      assert.ok(cosine > 0.98, `${name} ${calibrator.method}: cosine similarity ${cosine} (seed ${SEED})`);
    }
  });
}

test('Relu after Conv gets no QDQ pair before it; Conv weights per-channel int8, bias int32', async () => {
  const fx = loadFixture('tiny_resnet');
  const model = loadModel(fx.modelPath);
  const input = fx.input.data as Float32Array;
  const result = await quantizeStatic(model, {
    method: 'static', activations: { type: 'uint8', symmetric: false }, weights: { symmetric: true, granularity: 'per-channel' }, calibrator: { method: 'minmax' }, bias: 'int32',
  }, arrayCalibrationReader([{ input: floatTensor(input, fx.input.dims) }]));
  const nodes = result.model.graph!.node;
  const byOutput = new Map(nodes.flatMap((n) => n.output.map((o) => [o, n] as const)));
  for (const relu of nodes.filter((n) => n.opType === 'Relu')) {
    const producer = byOutput.get(relu.input[0]!)!;
    if (producer.opType === 'DequantizeLinear') assert.notEqual(byOutput.get(byOutput.get(producer.input[0]!)!.input[0]!)?.opType, 'Conv', `Relu ${relu.name} reads a QDQ pair straight after a Conv`);
  }
  const init = new Map(result.model.graph!.initializer.map((t) => [t.name, t]));
  const stem = nodes.find((n) => n.name === '/stem/Conv')!;
  const weightDq = byOutput.get(stem.input[1]!)!;
  assert.equal(weightDq.opType, 'DequantizeLinear');
  assert.equal(init.get(weightDq.input[0]!)!.dataType, 3, 'weight stored int8');
  assert.equal(Number(init.get(weightDq.input[1]!)!.dims[0]), Number(init.get(weightDq.input[0]!)!.dims[0]), 'one scale per output channel');
  assert.equal(init.get(byOutput.get(stem.input[2]!)!.input[0]!)!.dataType, 6, 'bias stored int32');
});

test('excluded op types and node names stay float', async () => {
  const fx = loadFixture('mlp');
  const model = loadModel(fx.modelPath);
  const result = await quantizeStatic(model, {
    method: 'static', activations: { type: 'uint8', symmetric: false }, weights: { symmetric: true, granularity: 'per-tensor' }, calibrator: { method: 'minmax' }, bias: 'float',
    exclude: { nodes: ['/l3/Gemm'], opTypes: ['Relu'] },
  }, arrayCalibrationReader([{ input: floatTensor(fx.input.data as Float32Array, fx.input.dims) }]));
  const last = result.model.graph!.node.find((n) => n.name === '/l3/Gemm')!;
  assert.ok(result.model.graph!.initializer.some((t) => t.name === last.input[1] && t.dataType === 1), 'excluded Gemm keeps its float weight');
  assert.ok(!result.plan.nodes.some((n) => n.opType === 'Relu'));
});
