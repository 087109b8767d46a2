import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildGradientModel } from '../../src/autodiff/gradientModel.js';
import { Graph } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/model.js';
import { newGraph, newModel, newValueInfo } from '../../src/onnx/proto.js';
import { makeTensor } from '../../src/onnx/tensor.js';
import { Session } from '../../src/runtime/session.js';
import { ort } from '../../src/runtime/ort.js';
import { checkOpGradient } from '../helpers/opGradCheck.js';

const int64 = (values: number[], dims = [values.length]) => ({ dims, type: 'int64' as const, values });
const INT64_MAX = Number.MAX_SAFE_INTEGER; // beyond any dim, as exporters' INT64_MAX is

test('Concat gradient along each axis, with a fixed input among differentiated ones', async () => {
  await checkOpGradient({ opType: 'Concat', inputs: [{ dims: [2, 3] }, { dims: [4, 3] }], attrs: { axis: 0 } });
  await checkOpGradient({ opType: 'Concat', inputs: [{ dims: [2, 1, 4] }, { dims: [2, 3, 4] }, { dims: [2, 2, 4] }], attrs: { axis: 1 } });
  await checkOpGradient({ opType: 'Concat', inputs: [{ dims: [2, 3] }, { dims: [2, 1], constant: true }, { dims: [2, 2] }], attrs: { axis: -1 } });
  await checkOpGradient({ opType: 'Concat', opset: 12, inputs: [{ dims: [2, 3] }, { dims: [2, 2] }], attrs: { axis: 1 } });
});

test('Split gradient: attribute sizes (opset 12), input sizes (13), num_outputs (18)', async () => {
  await checkOpGradient({ opType: 'Split', opset: 12, outputs: 3, inputs: [{ dims: [6, 2] }], attrs: { axis: 0, split: [1, 2, 3] } });
  await checkOpGradient({ opType: 'Split', opset: 13, outputs: 2, inputs: [{ dims: [2, 5] }, int64([4, 1])], attrs: { axis: -1 } });
  await checkOpGradient({ opType: 'Split', opset: 13, outputs: 3, inputs: [{ dims: [2, 6] }], attrs: { axis: 1 } });
  await checkOpGradient({ opType: 'Split', opset: 18, outputs: 2, inputs: [{ dims: [3, 4] }], attrs: { axis: 1, num_outputs: 2 } });
});

test('Split gradient gives zeros where an output is unused', async () => {
  // y0, y1, y2 = Split(x, [1, 2, 1]); loss = sum(y1) + 2 * sum(y2): dx = [0, 1, 1, 2] per row.
  const model = newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: newGraph({ name: 'split' }) });
  const graph = new Graph(model.graph!);
  model.graph!.input.push(newValueInfo({ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }, { dimValue: 4 }] } } } }));
  graph.addInitializer(makeTensor('sizes', [3], BigInt64Array.of(1n, 2n, 1n)));
  graph.addNode({ opType: 'Split', inputs: ['x', 'sizes'], outputs: ['y0', 'y1', 'y2'], attrs: { axis: 1 } });
  graph.addNode({ opType: 'ReduceSum', inputs: ['y1'], outputs: ['s1'], attrs: { keepdims: 0 } });
  graph.addNode({ opType: 'ReduceSum', inputs: ['y2'], outputs: ['s2'], attrs: { keepdims: 0 } });
  graph.addNode({ opType: 'Add', inputs: ['s2', 's2'], outputs: ['t2'] });
  graph.addNode({ opType: 'Add', inputs: ['s1', 't2'], outputs: ['loss'] });
  model.graph!.output.push(newValueInfo({ name: 'loss' }));
  const feeds = { x: new ort.Tensor('float32', Float32Array.from({ length: 8 }, (_, i) => i), [2, 4]) };
  const { model: gradientModel, gradientOutputs } = await buildGradientModel(model, 'loss', ['x'], feeds);
  const session = await Session.create(encodeModel(gradientModel), { name: 'split gradient' });
  const result = await session.run(feeds);
  await session.dispose();
  assert.deepEqual([...(result[gradientOutputs.get('x')!]!.data as Float32Array)], [0, 1, 1, 2, 0, 1, 1, 2]);
});

test('Slice gradient with unit steps: negative, clamped and INT64_MAX-style bounds', async () => {
  const x = { dims: [4, 5] };
  await checkOpGradient({ opType: 'Slice', inputs: [x, int64([1, 1]), int64([3, 4]), int64([0, 1])] });
  await checkOpGradient({ opType: 'Slice', inputs: [x, int64([-3]), int64([INT64_MAX]), int64([-1])] });
  await checkOpGradient({ opType: 'Slice', inputs: [x, int64([-100]), int64([-1])] });
  await checkOpGradient({ opType: 'Slice', inputs: [x, int64([0, 0]), int64([4, 5]), int64([0, 1]), int64([1, 1])] });
  await checkOpGradient({ opType: 'Slice', opset: 11, inputs: [{ dims: [2, 3, 4] }, int64([1]), int64([2]), int64([2])] });
});

test('Slice gradient with steps other than 1, negative steps included', async () => {
  const x = { dims: [4, 6] };
  await checkOpGradient({ opType: 'Slice', inputs: [x, int64([0, 1]), int64([4, 6]), int64([0, 1]), int64([2, 2])] });
  await checkOpGradient({ opType: 'Slice', inputs: [x, int64([-1]), int64([-INT64_MAX]), int64([1]), int64([-1])] });
  await checkOpGradient({ opType: 'Slice', inputs: [x, int64([3, 1]), int64([0, 5]), int64([0, 1]), int64([-2, 1])] });
  await checkOpGradient({ opType: 'Slice', opset: 11, inputs: [{ dims: [2, 7] }, int64([1]), int64([7]), int64([1]), int64([3])] });
});

test('Slice gradient of an empty slice is zeros', async () => {
  await checkOpGradient({ opType: 'Slice', inputs: [{ dims: [3, 4] }, int64([2]), int64([1]), int64([1])] });
});

/** Gradient of sum(Slice(x) * w) for x = 0..23 shaped [4, 6], with parameters as initializers or computed. */
async function sliceGradient(parameters: number[][], computed: boolean): Promise<number[]> {
  const model = newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: newGraph({ name: 'slice' }) });
  const graph = new Graph(model.graph!);
  model.graph!.input.push(newValueInfo({ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 4 }, { dimValue: 6 }] } } } }));
  const names = parameters.map((values, i) => {
    graph.addInitializer(makeTensor(`p${i}`, [values.length], BigInt64Array.from(values, BigInt)));
    if (!computed) return `p${i}`;
    // Identity hides the value from the rule, as a Shape-derived bound would.
    graph.addNode({ opType: 'Identity', inputs: [`p${i}`], outputs: [`q${i}`] });
    return `q${i}`;
  });
  graph.addNode({ opType: 'Slice', inputs: ['x', ...names], outputs: ['y'] });
  graph.addNode({ opType: 'Mul', inputs: ['y', 'y'], outputs: ['yy'] });
  graph.addNode({ opType: 'ReduceSum', inputs: ['yy'], outputs: ['loss'], attrs: { keepdims: 0 } });
  model.graph!.output.push(newValueInfo({ name: 'loss' }));
  const feeds = { x: new ort.Tensor('float32', Float32Array.from({ length: 24 }, (_, i) => i), [4, 6]) };
  const { model: gradientModel, gradientOutputs } = await buildGradientModel(model, 'loss', ['x'], feeds);
  const session = await Session.create(encodeModel(gradientModel), { name: 'slice gradient' });
  const result = await session.run(feeds);
  await session.dispose();
  return [...(result[gradientOutputs.get('x')!]!.data as Float32Array)];
}

test('Slice gradient with bounds computed at run time matches the constant-bounds gradient', async () => {
  for (const parameters of [[[1], [INT64_MAX], [1]], [[3, 1], [0, 5], [0, 1], [-2, 2]], [[-1], [-INT64_MAX], [0], [-1]]]) {
    const expected = await sliceGradient(parameters, false);
    assert.ok(expected.some((v) => v !== 0));
    assert.deepEqual(await sliceGradient(parameters, true), expected);
  }
});

test('Gather gradient accumulates repeated indices: ScatterElements (opset 16) and OneHot (opset 13)', async () => {
  for (const opset of [13, 16]) {
    // Embedding lookup: vocabulary 5, dim 3, tokens [batch 2, seq 3] with repeats and a negative index.
    await checkOpGradient({ opType: 'Gather', opset, inputs: [{ dims: [5, 3] }, int64([1, 4, 1, 0, -1, 1], [2, 3])] });
    await checkOpGradient({ opType: 'Gather', opset, inputs: [{ dims: [2, 4, 3] }, int64([3, 3, 0])], attrs: { axis: 1 } });
    await checkOpGradient({ opType: 'Gather', opset, inputs: [{ dims: [2, 3, 4] }, int64([2], [])], attrs: { axis: -1 } });
    await checkOpGradient({ opType: 'Gather', opset, inputs: [{ dims: [4] }, int64([0, 0, 3, 0], [2, 2])] });
  }
});

test('Pad gradient in constant mode: pads attribute (opset 10) and input (11), axes input (18)', async () => {
  await checkOpGradient({ opType: 'Pad', opset: 10, inputs: [{ dims: [2, 3] }], attrs: { pads: [1, 0, 2, 1] } });
  await checkOpGradient({ opType: 'Pad', opset: 11, inputs: [{ dims: [2, 3] }, int64([0, 2, 1, 0])] });
  await checkOpGradient({ opType: 'Pad', opset: 13, inputs: [{ dims: [2, 3, 2] }, int64([1, 0, 0, 0, 1, 1])] });
  await checkOpGradient({ opType: 'Pad', opset: 18, inputs: [{ dims: [2, 3, 2] }, int64([1, 2]), { dims: [], values: [0.5], constant: true }, int64([-1])] });
});

test('Pad gradient with negative pads (cropping) and w.r.t. the constant value', async () => {
  await checkOpGradient({ opType: 'Pad', opset: 13, inputs: [{ dims: [3, 4] }, int64([-1, 1, 0, -2])] });
  await checkOpGradient({ opType: 'Pad', opset: 13, inputs: [{ dims: [2, 3] }, int64([1, 1, 0, 2]), { dims: [] }] });
});

test('Pad gradient refuses reflect mode with a clear error', async () => {
  await assert.rejects(
    checkOpGradient({ opType: 'Pad', opset: 13, inputs: [{ dims: [3, 4] }, int64([0, 1, 0, 1])], attrs: { mode: 'reflect' } }),
    /no gradient for mode "reflect"/,
  );
});
