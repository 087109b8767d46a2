import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../src/autodiff/builder.js';
import { constantValues } from '../../src/autodiff/engine.js';
import { MatMulGrad } from '../../src/autodiff/gradients/MatMul.grad.js';
import type { GradientContext } from '../../src/autodiff/rule.js';
import { attrInt } from '../../src/onnx/attributes.js';
import { Graph } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/model.js';
import { newGraph, newModel, newValueInfo, type ModelProto } from '../../src/onnx/proto.js';
import { ort } from '../../src/runtime/ort.js';
import { Session, type Feeds } from '../../src/runtime/session.js';
import { Rng } from '../../src/util/random.js';
import { checkOpGradient } from '../helpers/opGradCheck.js';

const cases: [number[], number[]][] = [
  [[2, 3], [3, 4]],
  [[3], [3, 4]],
  [[2, 3], [3]],
  [[5, 1, 2, 3], [4, 3, 2]],
  [[2, 3], [5, 3, 2]],
  // A 2-D weight under batched activations: the flattened Gemm path.
  [[2, 2, 3], [3, 4]],
  [[2, 3, 2, 4], [4, 3]],
  [[1, 5, 3], [3, 2]],
];
for (const [a, b] of cases) {
  test(`MatMul gradient ${JSON.stringify(a)} @ ${JSON.stringify(b)}`, async () => {
    await checkOpGradient({ opType: 'MatMul', inputs: [{ dims: a }, { dims: b }] });
  });
}

test('MatMul gradient of the weight alone, and of the activations alone, under batched activations', async () => {
  await checkOpGradient({ opType: 'MatMul', inputs: [{ dims: [2, 3, 4] }, { dims: [4, 2], constant: true }] });
  await checkOpGradient({ opType: 'MatMul', inputs: [{ dims: [2, 3, 4], constant: true }, { dims: [4, 2] }] });
});

/**
 * X [..., K] @ W [K, N] with every dim of X but K symbolic: MatMul's rule emits dX, dW for `buildDims`
 * (the engine's static shapes), the result runs at `runDims`, and is checked against float64 central
 * differences of L = sum((X @ W) * R) at `runDims`, where R is the dY fed to the rule.
 */
async function checkAtOtherDims(buildDims: number[], runDims: number[], n: number, seed = 11): Promise<void> {
  const k = runDims[runDims.length - 1]!;
  const symbolic = (dims: number[], last: number, elemType: number) =>
    ({ tensorType: { elemType, shape: { dim: [...dims.slice(0, -1).map((_, i) => ({ dimParam: `d${i}` })), { dimValue: last }] } } });
  const model = (elemType: number): ModelProto => newModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: newGraph({
      name: 'matmul',
      input: [
        newValueInfo({ name: 'x', type: symbolic(runDims, k, elemType) }),
        newValueInfo({ name: 'w', type: { tensorType: { elemType, shape: { dim: [{ dimValue: k }, { dimValue: n }] } } } }),
        newValueInfo({ name: 'r', type: symbolic(runDims, n, elemType) }),
      ],
    }),
  });

  // Analytic: the rule's nodes, built for buildDims, fed dY = R.
  const gradient = model(1);
  const graph = new Graph(gradient.graph!);
  const node = graph.addNode({ opType: 'MatMul', inputs: ['x', 'w'], outputs: ['y'], name: 'matmul' });
  const dims = new Map([['x', buildDims], ['w', [k, n]], ['y', [...buildDims.slice(0, -1), n]]]);
  const ctx: GradientContext = {
    node,
    b: new GraphBuilder(graph, 17, 'grad/'),
    opset: 17,
    input: (i) => node.input[i]!,
    inputCount: 2,
    output: () => 'y',
    gradOutput: () => 'r',
    needsGradient: () => true,
    shape: (value) => dims.get(value)!,
    constantInput: () => undefined,
  };
  const [dX, dW] = MatMulGrad.backward(ctx) as [string, string];
  // The flattened form: one Gemm(transA=1), no batched product to reduce, no reshape to a batch size.
  const producer = graph.producerOf(dW)!;
  assert.equal(producer.opType, 'Gemm');
  assert.equal(attrInt(producer, 'transA', 0), 1);
  assert.ok(!graph.nodes.some((m) => m.opType === 'ReduceSum'));
  for (const reshape of graph.nodes.filter((m) => m.opType === 'Reshape')) {
    const target = constantValues(graph, reshape.input[1]!)!;
    assert.ok(target.length === 2 && target[0] === -1, `Reshape to ${JSON.stringify(target)} fixes a batch or sequence size`);
  }
  graph.addNode({ opType: 'Identity', inputs: [dX], outputs: ['dx'] });
  graph.addNode({ opType: 'Identity', inputs: [dW], outputs: ['dw'] });
  gradient.graph!.output = [newValueInfo({ name: 'dx' }), newValueInfo({ name: 'dw' })];
  graph.sortNodes();

  const rng = new Rng(seed);
  const random = (count: number) => Array.from({ length: count }, () => rng.next() * 2 - 1);
  const count = (d: number[]) => d.reduce((a, c) => a * c, 1);
  const rDims = [...runDims.slice(0, -1), n];
  const values = { x: random(count(runDims)), w: random(k * n), r: random(count(rDims)) };
  const feeds = (v: typeof values, type: 'float32' | 'float64'): Feeds => {
    const make = (data: number[], d: number[]) => new ort.Tensor(type, type === 'float32' ? Float32Array.from(data) : Float64Array.from(data), d);
    return { x: make(v.x, runDims), w: make(v.w, [k, n]), r: make(v.r, rDims) };
  };
  const session = await Session.create(encodeModel(gradient), { name: 'MatMul rule at other dims' });
  const analytic = await session.run(feeds(values, 'float32'));
  await session.dispose();

  // Numeric: central differences of the float64 forward graph.
  const forward = model(11);
  const fg = new Graph(forward.graph!);
  fg.addNode({ opType: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] });
  fg.addNode({ opType: 'Mul', inputs: ['y', 'r'], outputs: ['m'] });
  fg.addNode({ opType: 'ReduceSum', inputs: ['m'], outputs: ['loss'], attrs: { keepdims: 0 } });
  forward.graph!.output = [newValueInfo({ name: 'loss' })];
  const numericSession = await Session.create(encodeModel(forward), { name: 'float64 forward' });
  const loss = async (v: typeof values) => Number((await numericSession.run(feeds(v, 'float64'))).loss!.data[0]);
  const [step, atol, rtol] = [1e-6, 1e-4, 1e-3];
  const failures: string[] = [];
  for (const [name, output] of [['x', 'dx'], ['w', 'dw']] as const) {
    const got = analytic[output]!.data as Float32Array;
    assert.equal(got.length, values[name].length, `d${name} has ${got.length} values, ${name} ${values[name].length}`);
    for (let i = 0; i < got.length; i++) {
      const shifted = (delta: number) => ({ ...values, [name]: values[name].map((v, j) => (j === i ? v + delta : v)) });
      const numeric = ((await loss(shifted(step))) - (await loss(shifted(-step)))) / (2 * step);
      if (Math.abs(got[i]! - numeric) > atol + rtol * Math.abs(numeric)) failures.push(`d${name}[${i}]: analytic ${got[i]} vs numeric ${numeric}`);
    }
  }
  await numericSession.dispose();
  assert.deepEqual(failures.slice(0, 5), [], `tolerance ${atol} + ${rtol}*|numeric|, step ${step}, seed ${seed}, built for ${JSON.stringify(buildDims)}, run at ${JSON.stringify(runDims)}`);
}

test('MatMul gradient of a 2-D weight under [B, T, K] activations holds at other batch and sequence sizes', async () => {
  await checkAtOtherDims([2, 3, 4], [3, 5, 4], 3);
});

test('MatMul gradient of a 2-D weight under [B, H, T, K] activations holds at other batch, head and sequence sizes', async () => {
  await checkAtOtherDims([2, 2, 3, 4], [1, 3, 2, 4], 2);
});

for (const transA of [0, 1]) {
  for (const transB of [0, 1]) {
    test(`Gemm gradient transA=${transA} transB=${transB} with alpha, beta and broadcast C`, async () => {
      const a = transA ? [3, 2] : [2, 3];
      const b = transB ? [4, 3] : [3, 4];
      await checkOpGradient({ opType: 'Gemm', inputs: [{ dims: a }, { dims: b }, { dims: [4] }], attrs: { transA, transB, alpha: { float: 0.7 }, beta: { float: 1.3 } } });
      await checkOpGradient({ opType: 'Gemm', inputs: [{ dims: a }, { dims: b }, { dims: [2, 1] }], attrs: { transA, transB } });
    });
  }
}

test('Gemm without C', async () => {
  await checkOpGradient({ opType: 'Gemm', inputs: [{ dims: [2, 3] }, { dims: [4, 3] }], attrs: { transB: 1 } });
});
