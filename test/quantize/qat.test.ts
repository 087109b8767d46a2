import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../src/autodiff/builder.js';
import { differentiate } from '../../src/autodiff/engine.js';
import { registerAllGradients } from '../../src/autodiff/registerAll.js';
import { buildMlp } from '../../src/models/mlp.js';
import { Graph } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/model.js';
import { newGraph, newModel, newValueInfo, type ModelProto } from '../../src/onnx/proto.js';
import { datasetCalibrationReader } from '../../src/quantize/calibration/reader.js';
import { appendFakeQuant, type StraightThrough } from '../../src/quantize/qat/fakeQuant.js';
import { exportQdq } from '../../src/quantize/qat/exportQdq.js';
import { checkQatOptions, defaultQatOptions, type QatOptions } from '../../src/quantize/qat/options.js';
import { insertFakeQuantization } from '../../src/quantize/qat/prepare.js';
import { StopGradients } from '../../src/quantize/qat/straightThrough.js';
import { withQatSettings } from '../../src/quantize/qat/train.js';
import { Session, type Feeds } from '../../src/runtime/session.js';
import { inferShapes } from '../../src/runtime/shapeInference.js';
import { floatTensor } from '../../src/runtime/tensors.js';
import { Trainer, type TrainerConfig } from '../../src/train/trainer.js';
import { isRetortError } from '../../src/util/errors.js';
import { blobs } from '../train/helpers.js';
import { floatInfo } from './helpers.js';

const RANGE = { qmin: -4, qmax: 3 };
// x / s with s = 0.5: [-6, -4, 0.4, 2.52, 3.2, 4.8]; inside [qmin, qmax] = [-4, 3]: [no, yes (bound), yes, yes, no, no].
const X = [-3, -2, 0.2, 1.26, 1.6, 2.4];
const UPSTREAM = [1, 2, 3, 4, 5, 6];

/** loss = sum(c ⊙ fakeQuant(x; s)), with its gradients wrt x and s, evaluated in ORT. */
async function fakeQuantGradients(ste: StraightThrough, gradientScale: number): Promise<{ y: number[]; dx: number[]; ds: number }> {
  registerAllGradients();
  const graph = new Graph(newGraph({ name: 'fq', input: [floatInfo('x', [6]), floatInfo('s', [])], output: [] }));
  const model = newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: graph.proto });
  const b = new GraphBuilder(graph, 17, 'test/');
  const stops = new StopGradients(b);
  const y = appendFakeQuant(b, stops, 'x', { scale: stops.scaleGradient('s', gradientScale), zeroPoint: b.constFloat(0), range: RANGE, ste });
  const loss = b.op('ReduceSum', [b.mul(y, b.constFloat(UPSTREAM, [6]))], { keepdims: 0 });
  const feeds: Feeds = { x: floatTensor(Float32Array.from(X), [6]), s: floatTensor(Float32Array.of(0.5), []) };
  const shapes = await inferShapes(model, feeds);
  const grads = differentiate({ graph, loss, wrt: ['x', 's'], shapes, opset: 17, stopGradients: new Set(stops.values) });
  graph.addNode({ opType: 'Identity', inputs: [grads.get('x')!], outputs: ['dx'] });
  graph.addNode({ opType: 'Identity', inputs: [grads.get('s')!], outputs: ['ds'] });
  graph.proto.output = ['dx', 'ds', y].map((name) => newValueInfo({ name }));
  graph.sortNodes();
  const session = await Session.create(encodeModel(model), { optimization: 'disabled' });
  try {
    const out = await session.run(feeds);
    return { y: [...(out[y]!.data as Float32Array)], dx: [...(out.dx!.data as Float32Array)], ds: (out.ds!.data as Float32Array)[0]! };
  } finally {
    await session.dispose();
  }
}

test('fake quantization forward: clamp(round(x/s)) * s', async () => {
  const { y } = await fakeQuantGradients('clipped', 1);
  // q = clamp(round([-6, -4, 0.4, 2.52, 3.2, 4.8]), -4, 3) = [-4, -4, 0, 3, 3, 3].
  assert.deepEqual(y, [-2, -2, 0, 1.5, 1.5, 1.5]);
});

test('straight-through gradient: plain passes dY everywhere, clipped zeroes it outside [s(qmin-zp), s(qmax-zp)]', async () => {
  assert.deepEqual((await fakeQuantGradients('plain', 1)).dx, UPSTREAM);
  assert.deepEqual((await fakeQuantGradients('clipped', 1)).dx, [0, 2, 3, 4, 0, 0]);
});

test('LSQ step-size gradient matches Esser et al. eq. 3, scaled by g', async () => {
  const s = 0.5;
  // dy/ds = round(x/s) - x/s inside the range, qmin or qmax outside (zp = 0).
  const expected = X.reduce((sum, x, i) => {
    const u = Math.fround(x / s);
    const grad = u < RANGE.qmin ? RANGE.qmin : u > RANGE.qmax ? RANGE.qmax : Math.round(u) - u;
    return sum + UPSTREAM[i]! * grad;
  }, 0);
  // By hand: -4·1 + 0·2 - 0.4·3 + 0.48·4 + 3·5 + 3·6 = 29.72.
  assert.ok(Math.abs(expected - 29.72) < 1e-5);
  const plain = await fakeQuantGradients('clipped', 1);
  assert.ok(Math.abs(plain.ds - expected) < 1e-4, `ds ${plain.ds}, expected ${expected}`);
  const g = 1 / Math.sqrt(6 * RANGE.qmax);
  const scaled = await fakeQuantGradients('clipped', g);
  assert.ok(Math.abs(scaled.ds - g * expected) < 1e-4, `scaled ds ${scaled.ds}, expected ${g * expected}`);
  assert.deepEqual(scaled.y, plain.y, 'the gradient scale leaves the forward value unchanged');
});

const data = blobs(256, 8, 3, 11);
const mlp = (): ModelProto => buildMlp({ hidden: [16], inputDims: [8], numClasses: 3, seed: 3 });
const calibration = () => datasetCalibrationReader(data, { inputName: 'input', size: 64, batchSize: 32 });
const config = (maxSteps: number): TrainerConfig => ({
  batchSize: 32, epochs: 5, seed: 1, maxSteps, progress: 'silent', threads: 1,
  optimizer: { kind: 'sgd', momentum: 0.9 }, schedule: { kind: 'constant', lr: 0.05 },
});

async function outputOf(model: ModelProto, inputs: Float32Array, count: number, optimization: 'disabled' | 'all'): Promise<Float32Array> {
  const session = await Session.create(encodeModel(model), { optimization, threads: 1 });
  try {
    const out = await session.run({ [session.inputNames[0]!]: floatTensor(inputs, [count, 8]) });
    return out[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.dispose();
  }
}

for (const scales of [{ kind: 'observed', momentum: 0.9 }, { kind: 'learned' }] as const) {
  test(`QAT (${scales.kind} scales) trains, and the exported QDQ model reproduces the fake-quant forward`, async () => {
    // Float biases: the export must then reproduce the training forward up to float rounding.
    const options = defaultQatOptions({ scales, bits: 4, bias: 'float' });
    const fq = await insertFakeQuantization(mlp(), options, calibration());
    assert.equal(fq.weights.length, 2);
    assert.ok(fq.activations.length >= 2, `activation sites: ${fq.activations.map((a) => a.value).join(', ')}`);
    const trainer = await Trainer.create(fq.model, withQatSettings(config(16), fq.training), { train: data });
    try {
      const first = await trainer.fit();
      const losses = [first.history[0]?.trainLoss ?? first.lastLoss];
      const before = (await trainer.evaluate(data)).loss;
      assert.ok(Number.isFinite(before));
      const exported = exportQdq(fq, trainer.currentValues());
      const ops = new Set(exported.graph!.node.map((n) => n.opType));
      assert.ok(ops.has('QuantizeLinear') && ops.has('DequantizeLinear'), [...ops].join(', '));
      const fakeQuantModel = trainer.exportModel();
      const count = 64;
      const inputs = data.inputs.subarray(0, count * 8);
      const reference = await outputOf(fakeQuantModel, inputs, count, 'disabled');
      // Unfused QDQ (ORT's fusions into integer kernels requantize; the 8-bit test below covers them).
      const got = await outputOf(exported, inputs, count, 'disabled');
      const worst = Math.max(...reference.map((r, i) => Math.abs(r - got[i]!)));
      const scale = Math.max(...reference.map(Math.abs));
      assert.ok(worst <= 1e-4 * Math.max(1, scale), `max |diff| ${worst} over logits up to ${scale}`);
      console.log(`QAT ${scales.kind}: losses ${losses.join(', ')}, export max |diff| ${worst}`);
    } finally {
      await trainer.dispose();
    }
  });
}

test('QAT lowers the training loss of a tiny MLP in a few steps; int32-bias export stays close at 8 bits', async () => {
  const fq = await insertFakeQuantization(mlp(), defaultQatOptions({ bits: 8 }), calibration());
  const losses: number[] = [];
  for (const steps of [1, 24]) {
    const trainer = await Trainer.create(fq.model, withQatSettings({ ...config(steps), schedule: { kind: 'constant', lr: 0.02 } }, fq.training), { train: data });
    try {
      await trainer.fit();
      losses.push((await trainer.evaluate(data)).loss);
      const inputs = data.inputs.subarray(0, 64 * 8);
      const reference = await outputOf(trainer.exportModel(), inputs, 64, 'disabled');
      const got = await outputOf(exportQdq(fq, trainer.currentValues()), inputs, 64, 'all');
      // The int32 bias rounds to multiples of s_in·s_w (half a step per output) and fused kernels requantize.
      const diff = Math.max(...reference.map((r, i) => Math.abs(r - got[i]!)));
      assert.ok(diff < 0.02 * Math.max(1, ...reference.map(Math.abs)), `int32-bias export max |diff| ${diff}`);
    } finally {
      await trainer.dispose();
    }
  }
  assert.ok(losses[1]! < 0.8 * losses[0]!, `loss after 1 step ${losses[0]}, after 24 steps ${losses[1]}`);
});

test('bad QAT options give errors naming the option and the choices', async () => {
  const expectError = (options: QatOptions, pattern: RegExp) =>
    assert.throws(() => checkQatOptions(options), (e: unknown) => isRetortError(e) && e.code === 'BAD_ARGUMENT' && pattern.test(e.message));
  expectError(defaultQatOptions({ bits: 9 }), /--bits 9 .*Should be one of: 2, 3, 4, 5, 6, 7, 8/);
  expectError(defaultQatOptions({ scales: { kind: 'learned' }, ste: 'plain' }), /--ste clipped with --scales learned/);
  expectError(defaultQatOptions({ scales: { kind: 'observed', momentum: 1 } }), /momentum 1 must be in \[0, 1\)/);
  expectError(defaultQatOptions({ ste: 'straight' as StraightThrough }), /Should be one of: plain, clipped/);
  const old = mlp();
  old.opsetImport = [{ domain: '', version: 11 }];
  await assert.rejects(insertFakeQuantization(old, defaultQatOptions(), calibration()), /opset 13 or later; the model imports opset 11/);
});
