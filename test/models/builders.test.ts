import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildLeNet300100, buildLeNet5 } from '../../src/models/lenet.js';
import { buildMlp } from '../../src/models/mlp.js';
import { buildResNet } from '../../src/models/resnet.js';
import { Graph } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/model.js';
import { parameterCount, readParameter } from '../../src/onnx/parameters.js';
import { int64ToNumber, type ModelProto } from '../../src/onnx/proto.js';
import { readFloat32, tensorDims } from '../../src/onnx/tensor.js';
import { floatTensor, readFloats } from '../../src/runtime/tensors.js';
import { Session } from '../../src/runtime/session.js';
import { isRetortError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';

interface Case {
  name: string;
  build: (seed: number) => ModelProto;
  inputDims: number[];
  /** By hand; parameterCount also counts BatchNorm running statistics (float tensors of > 1 element). */
  parameters: number;
}

// ResNet widths 8,16 on 1x28x28: stem conv 8*1*9 + bn 4*8; layer1.0: two 8*8*9 convs + two bn 4*8;
// layer2.0: 16*8*9 + 16*16*9 convs, 1x1 projection 16*8, three bn 4*16; fc 16*10+10.
const resnetParameters = 72 + 32 + (576 + 32 + 576 + 32) + (1152 + 64 + 2304 + 64 + 128 + 64) + 170;

const cases: Case[] = [
  { name: 'MLP 784-800-800-10', build: (seed) => buildMlp({ hidden: [800, 800], seed }), inputDims: [784], parameters: 1276810 },
  { name: 'MLP 1200-1200 with dropout', build: (seed) => buildMlp({ hidden: [1200, 1200], dropout: 0.5, inputDropout: 0.2, seed }), inputDims: [784], parameters: 784 * 1200 + 1200 + 1200 * 1200 + 1200 + 12010 },
  { name: 'MLP on image inputs', build: (seed) => buildMlp({ hidden: [32], inputDims: [1, 28, 28], seed }), inputDims: [1, 28, 28], parameters: 784 * 32 + 32 + 330 },
  { name: 'LeNet-300-100', build: (seed) => buildLeNet300100({ seed }), inputDims: [784], parameters: 266610 },
  { name: 'LeNet-5 Caffe', build: (seed) => buildLeNet5({ seed }), inputDims: [1, 28, 28], parameters: 431080 },
  { name: 'LeNet-5 Caffe without conv ReLU', build: (seed) => buildLeNet5({ seed, convRelu: false }), inputDims: [1, 28, 28], parameters: 431080 },
  { name: 'ResNet 8,16', build: (seed) => buildResNet({ widths: [8, 16], seed }), inputDims: [1, 28, 28], parameters: resnetParameters },
  { name: 'ResNet 4,8,8 x2 on 3x16x16', build: (seed) => buildResNet({ widths: [4, 8, 8], blocksPerStage: 2, inputDims: [3, 16, 16], numClasses: 5, seed }), inputDims: [3, 16, 16], parameters: -1 },
];

function randomBatch(count: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: count }, () => rng.next());
}

async function logitsOf(model: ModelProto, inputDims: number[], batch = 3): Promise<{ dims: number[]; values: Float32Array }> {
  const session = await Session.create(encodeModel(model));
  try {
    const size = inputDims.reduce((a, b) => a * b, 1);
    const results = await session.run({ input: floatTensor(randomBatch(batch * size, 1), [batch, ...inputDims]) });
    const logits = results.logits!;
    return { dims: [...logits.dims], values: readFloats(logits).slice() };
  } finally {
    await session.dispose();
  }
}

for (const c of cases) {
  test(`${c.name}: ORT runs it, parameter count, declared interface`, async () => {
    const model = c.build(1);
    const graph = new Graph(model.graph!);
    const numClasses = c.name.includes('3x16x16') ? 5 : 10;
    const { dims, values } = await logitsOf(model, c.inputDims);
    assert.deepEqual(dims, [3, numClasses]);
    assert.ok(values.every(Number.isFinite), 'logits are finite');
    if (c.parameters > 0) assert.equal(parameterCount(graph), c.parameters);
    assert.equal(int64ToNumber(model.irVersion), 8);
    assert.deepEqual(model.opsetImport.map((o) => [o.domain, int64ToNumber(o.version)]), [['', 17]]);
    assert.equal(model.producerName, 'retort');
    const [input] = graph.inputs;
    assert.equal(input!.name, 'input');
    assert.equal(input!.type!.tensorType!.elemType, 1);
    assert.deepEqual(input!.type!.tensorType!.shape!.dim.map((d) => d.dimParam || int64ToNumber(d.dimValue)), ['batch', ...c.inputDims]);
    assert.deepEqual(graph.outputs[0]!.type!.tensorType!.shape!.dim.map((d) => d.dimParam || int64ToNumber(d.dimValue)), ['batch', numClasses]);
  });

  test(`${c.name}: seeded, weights within PyTorch's default bound 1/sqrt(fan_in)`, () => {
    const bytes = encodeModel(c.build(3));
    assert.ok(Buffer.from(bytes).equals(Buffer.from(encodeModel(c.build(3)))), 'same seed, same bytes');
    const a = new Graph(c.build(3).graph!);
    const b = new Graph(c.build(4).graph!);
    const firstWeight = a.proto.initializer.find((t) => t.name.endsWith('.weight'))!.name;
    assert.notDeepEqual(readParameter(a, firstWeight), readParameter(b, firstWeight));
    for (const tensor of a.proto.initializer) {
      // Linear and conv weights (rank > 1) and their biases; BatchNorm tensors are constants at init.
      const weight = a.initializer(tensor.name.replace(/\.(weight|bias)$/, '.weight'));
      if (!/\.(weight|bias)$/.test(tensor.name) || !weight || weight.dims.length < 2) continue;
      const fanIn = tensorDims(weight).slice(1).reduce((x, y) => x * y, 1);
      const bound = Math.fround(1 / Math.sqrt(fanIn));
      const values = readFloat32(tensor);
      const largest = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      assert.ok(largest <= bound, `${tensor.name}: |w| reaches ${largest} > 1/sqrt(${fanIn})`);
      if (values.length >= 100) assert.ok(largest > 0.9 * bound, `${tensor.name}: |w| only reaches ${largest} of bound ${bound}`);
    }
  });
}

test('Gemm with transB=1 computes x W^T + b with W stored [out, in] as in PyTorch', async () => {
  const model = buildMlp({ hidden: [], inputDims: [4], numClasses: 3, seed: 9 });
  const graph = new Graph(model.graph!);
  const weight = readParameter(graph, 'fc1.weight');
  const bias = readFloat32(graph.initializer('fc1.bias')!);
  assert.deepEqual(tensorDims(graph.initializer('fc1.weight')!), [3, 4]);
  const { values } = await logitsOf(model, [4], 1);
  const x = randomBatch(4, 1);
  for (let o = 0; o < 3; o++) {
    let expected = bias[o]!;
    for (let i = 0; i < 4; i++) expected += weight[o * 4 + i]! * x[i]!;
    assert.ok(Math.abs(values[o]! - expected) < 1e-5, `logit ${o}: ${values[o]} vs ${expected}`);
  }
});

test('Dropout is identity at inference and does not change the seeded weights', async () => {
  const plain = buildMlp({ hidden: [16, 16], seed: 5 });
  const dropped = buildMlp({ hidden: [16, 16], dropout: 0.5, seed: 5 });
  const nodes = dropped.graph!.node.filter((n) => n.opType === 'Dropout');
  assert.deepEqual(nodes.map((n) => n.input), [['relu1', 'dropout1.ratio'], ['relu2', 'dropout2.ratio']]);
  assert.deepEqual([...readFloat32(new Graph(dropped.graph!).initializer('dropout1.ratio')!)], [0.5]);
  const a = await logitsOf(plain, [784]);
  const b = await logitsOf(dropped, [784]);
  assert.deepEqual(a.values, b.values);
});

test('parameter names follow PyTorch state_dict names', () => {
  const names = (m: ModelProto) => m.graph!.initializer.map((t) => t.name);
  assert.deepEqual(names(buildLeNet5({ seed: 0 })), ['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
  const resnet = names(buildResNet({ widths: [8, 16], seed: 0 }));
  for (const name of ['conv1.weight', 'bn1.running_var', 'layer1.0.conv2.weight', 'layer2.0.downsample.0.weight', 'layer2.0.downsample.1.bias', 'fc.weight']) {
    assert.ok(resnet.includes(name), `${name} in ${resnet.join(', ')}`);
  }
  assert.ok(!resnet.includes('layer1.0.downsample.0.weight'), 'the first stage keeps identity shortcuts');
});

test('builders reject inputs they cannot take', () => {
  const badArgument = (e: unknown) => isRetortError(e) && e.code === 'BAD_ARGUMENT';
  assert.throws(() => buildLeNet5({ seed: 0, inputDims: [784] }), badArgument);
  assert.throws(() => buildLeNet5({ seed: 0, inputDims: [1, 12, 12] }), badArgument);
  assert.throws(() => buildResNet({ seed: 0, widths: [] }), badArgument);
  assert.throws(() => buildMlp({ seed: 0, hidden: [0] }), badArgument);
  assert.throws(() => buildMlp({ seed: 0, hidden: [8], dropout: 1 }), badArgument);
});
