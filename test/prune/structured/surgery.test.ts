import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Graph } from '../../../src/onnx/graph.js';
import { loadModel } from '../../../src/onnx/model.js';
import type { ModelProto } from '../../../src/onnx/proto.js';
import { makeTensor, readFloat32, tensorDims } from '../../../src/onnx/tensor.js';
import { buildLeNet5 } from '../../../src/models/lenet.js';
import { buildResNet } from '../../../src/models/resnet.js';
import { cloneForEditing } from '../../../src/autodiff/gradientModel.js';
import { inferShapes, resolveInputShapes, sampleFeeds } from '../../../src/runtime/shapeInference.js';
import { analyzeChannelGroups, removeChannels, type ChannelGroup } from '../../../src/prune/structured/index.js';
import { fixtureNames, loadFixture } from '../../helpers/fixtures.js';
import { maxAbsDiff, runFirstOutput } from './helpers.js';

async function analyze(model: ModelProto, batch = 2) {
  const feeds = sampleFeeds(model, resolveInputShapes(model, {}, batch), 0, 10);
  return { feeds, groups: analyzeChannelGroups(model, await inferShapes(model, feeds)) };
}

/** Independent of the surgery code: keep entries `keep` of `axis` (0 or 1) of a tensor, by index arithmetic. */
function handSlice(model: ModelProto, name: string, axis: 0 | 1, keep: readonly number[], block = 1): void {
  const graph = new Graph(model.graph!);
  const t = graph.initializer(name)!;
  const dims = tensorDims(t);
  const data = readFloat32(t);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1) * block;
  const rows = axis === 0 ? 1 : dims[0]!;
  const size = axis === 0 ? dims[0]! : dims[1]! / block;
  const out: number[] = [];
  for (let r = 0; r < rows; r++) for (const k of keep) for (let i = 0; i < inner; i++) out.push(data[(r * size + k) * inner + i]!);
  const newDims = [...dims];
  newDims[axis] = keep.length * block;
  model.graph!.initializer = model.graph!.initializer.map((x) => (x.name === name ? makeTensor(name, newDims, Float32Array.from(out)) : x));
}

const groupOf = (groups: ChannelGroup[], source: string): ChannelGroup => groups.find((g) => g.source === source)!;

test('every PyTorch fixture: pruning nothing leaves the outputs unchanged, pruning half runs in ORT', async () => {
  assert.ok(fixtureNames.length >= 4, `fixtures: ${fixtureNames.join(', ')}`);
  for (const name of fixtureNames) {
    const model = loadModel(loadFixture(name).modelPath);
    const { feeds, groups } = await analyze(model);
    const prunable = groups.filter((g) => !g.blocked);
    assert.ok(prunable.length > 0, `${name}: no prunable group (${groups.map((g) => g.blocked).join('; ')})`);
    const before = await runFirstOutput(model, feeds);
    const all = removeChannels(model, prunable.map((group) => ({ group, keep: [...Array(group.channels).keys()] })));
    assert.ok(maxAbsDiff(before.data, (await runFirstOutput(all, feeds)).data) < 1e-5, name);
    const half = removeChannels(model, prunable.map((group) => ({ group, keep: [...Array(Math.ceil(group.channels / 2)).keys()].map((i) => i * 2) })));
    const after = await runFirstOutput(half, feeds);
    assert.deepEqual(after.dims, before.dims, name);
  }
});

test('a ResNet block: the residual group spans the stem conv, BatchNorms, the block\'s second conv and the fc columns', async () => {
  const model = buildResNet({ widths: [4], inputDims: [1, 8, 8], numClasses: 3, seed: 5 });
  // Non-trivial BatchNorm statistics so slicing them matters.
  for (const t of model.graph!.initializer) {
    if (/bn\d?\.(weight|bias|running_mean|running_var)$/.test(t.name)) {
      const n = tensorDims(t)[0]!;
      model.graph!.initializer = model.graph!.initializer.map((x) => (x === t ? makeTensor(t.name, [n], Float32Array.from({ length: n }, (_, i) => 0.5 + 0.25 * i)) : x));
    }
  }
  const { feeds, groups } = await analyze(model);
  const residual = groupOf(groups, 'conv1');
  assert.equal(residual.blocked, undefined);
  assert.deepEqual([...residual.producers].sort(), ['conv1', 'layer1.0.conv2']);
  const inner = groupOf(groups, 'layer1.0.conv1');
  const keepResidual = [0, 2, 3];
  const keepInner = [1, 3];
  const pruned = removeChannels(model, [{ group: residual, keep: keepResidual }, { group: inner, keep: keepInner }]);

  const expected = cloneForEditing(model);
  for (const p of ['conv1.weight', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var', 'layer1.0.conv2.weight',
    'layer1.0.bn2.weight', 'layer1.0.bn2.bias', 'layer1.0.bn2.running_mean', 'layer1.0.bn2.running_var']) handSlice(expected, p, 0, keepResidual);
  handSlice(expected, 'layer1.0.conv1.weight', 1, keepResidual);
  handSlice(expected, 'fc.weight', 1, keepResidual);
  for (const p of ['layer1.0.conv1.weight', 'layer1.0.bn1.weight', 'layer1.0.bn1.bias', 'layer1.0.bn1.running_mean', 'layer1.0.bn1.running_var']) handSlice(expected, p, 0, keepInner);
  handSlice(expected, 'layer1.0.conv2.weight', 1, keepInner);
  for (const t of expected.graph!.initializer) {
    const got = new Graph(pruned.graph!).initializer(t.name)!;
    assert.deepEqual(tensorDims(got), tensorDims(t), t.name);
    assert.deepEqual(readFloat32(got), readFloat32(t), t.name);
  }
  const a = await runFirstOutput(pruned, feeds);
  const b = await runFirstOutput(expected, feeds);
  assert.ok(maxAbsDiff(a.data, b.data) < 1e-6);
});

test('LeNet-5: a conv2 channel maps to its H*W columns of fc1 through Flatten', async () => {
  const model = buildLeNet5({ seed: 2 });
  const { feeds, groups } = await analyze(model);
  const conv2 = groupOf(groups, 'conv2');
  const fcSlice = conv2.slices.find((s) => s.parameter === 'fc1.weight')!;
  assert.deepEqual({ axis: fcSlice.axis, block: fcSlice.block, role: fcSlice.role }, { axis: 1, block: 16, role: 'in' });
  const keep = [...Array(50).keys()].filter((c) => c % 3 !== 1);
  const pruned = removeChannels(model, [{ group: conv2, keep }]);
  const expected = cloneForEditing(model);
  handSlice(expected, 'conv2.weight', 0, keep);
  handSlice(expected, 'conv2.bias', 0, keep);
  handSlice(expected, 'fc1.weight', 1, keep, 16);
  const a = await runFirstOutput(pruned, feeds);
  const b = await runFirstOutput(expected, feeds);
  assert.ok(maxAbsDiff(a.data, b.data) < 1e-6);
  assert.deepEqual(tensorDims(new Graph(pruned.graph!).initializer('fc1.weight')!), [500, keep.length * 16]);
});

test('groups that reach the logits, a LayerNorm or a Split say why they stay whole', async () => {
  const { groups } = await analyze(loadModel(loadFixture('gpt_tiny').modelPath));
  assert.match(groupOf(groups, '/head/MatMul').blocked ?? '', /graph output/);
  assert.match(groupOf(groups, '/proj/MatMul').blocked ?? '', /ReduceMean/);
  assert.match(groupOf(groups, '/qkv/MatMul').blocked ?? '', /Split/);
  assert.equal(groupOf(groups, '/fc/MatMul').blocked, undefined);
  const { groups: resnet } = await analyze(loadModel(loadFixture('tiny_resnet').modelPath));
  // The depthwise conv passes channels through: its group attribute follows the kept count.
  const withDepthwise = resnet.find((g) => g.channelCountAttributes.some((a) => a.node === '/dw/Conv'))!;
  assert.equal(withDepthwise.blocked, undefined);
  assert.ok(withDepthwise.producers.includes('/l2/c2/Conv') && withDepthwise.producers.includes('/l2/sc/sc.0/Conv'));
});
