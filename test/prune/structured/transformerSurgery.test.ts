/**
 * Transformer structures removed from the graph: zero pruning changes nothing, removing heads equals
 * zeroing their rows of the output projection in the original model, removing MLP units equals
 * zeroing their rows of fc2, and dropping layers equals the teacher without those layers — on retort's
 * GPT and on the PyTorch-exported gpt_tiny (fused qkv, shapes computed by Shape/Concat).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildBert } from '../../../src/models/bert.js';
import { studentFromTeacherLayers } from '../../../src/models/layerSubset.js';
import { buildMlp } from '../../../src/models/mlp.js';
import { Graph } from '../../../src/onnx/graph.js';
import { decodeModel, encodeModel } from '../../../src/onnx/model.js';
import { parameterCount } from '../../../src/onnx/parameters.js';
import type { ModelProto } from '../../../src/onnx/proto.js';
import { readTensor } from '../../../src/onnx/tensor.js';
import { findTransformerLayers, pruneTransformer, type TransformerImportance } from '../../../src/prune/structured/index.js';
import { inferShapes, resolveInputShapes, sampleFeeds } from '../../../src/runtime/shapeInference.js';
import { maxAbsDiff, runFirstOutput } from './helpers.js';
import { GPT, GPT_LAYOUT, GPT_TINY_LAYOUT, headUnits, loadGptTiny, removed, tinyGpt, tokenFeeds, zeroAlong, type Layout } from './transformerHelpers.js';

const l2: TransformerImportance = { kind: 'weight', norm: 'l2' };
const cases: [Layout, () => ModelProto, number][] = [[GPT_LAYOUT, () => tinyGpt(), GPT.vocabSize], [GPT_TINY_LAYOUT, loadGptTiny, 65]];

test('the attention, MLP and block structure is recognised from the graph pattern', async () => {
  for (const [layout, load] of cases) {
    const model = load();
    const shapes = await inferShapes(model, sampleFeeds(model, resolveInputShapes(model, {}, 2)));
    const layers = findTransformerLayers(model, shapes);
    assert.equal(layers.length, layout.name === 'gpt_tiny' ? 2 : GPT.layers, layout.name);
    for (const layer of layers) {
      assert.equal(layer.attention.heads, layout.heads, layout.name);
      assert.equal(layer.attention.headDim, layout.headDim, layout.name);
      assert.deepEqual(layer.attention.projections.map((p) => p.role), ['query', 'key', 'value']);
      assert.equal(layer.attention.output.weight, layout.outProjection(layer.index).parameter);
      assert.deepEqual(layer.mlp.map((m) => m.group.channels), [layout.mlpWidth]);
      assert.ok(layer.residual, `${layout.name} ${layer.label}: ${layer.notDroppable}`);
    }
  }
  // The fused projection: q, k and v are thirds of one weight, reached through a Split.
  const fixture = loadGptTiny();
  const [first] = findTransformerLayers(fixture, await inferShapes(fixture, sampleFeeds(fixture, resolveInputShapes(fixture, {}, 2))));
  assert.deepEqual(first!.attention.projections.map((p) => [p.weight, p.offset, p.bias?.offset, p.transposed]), [
    ['blocks.0.qkv.weight', 0, 0, true], ['blocks.0.qkv.weight', 48, 48, true], ['blocks.0.qkv.weight', 96, 96, true],
  ]);
});

test('zero pruning leaves the outputs identical', async () => {
  for (const [layout, load, vocab] of cases) {
    const model = load();
    const result = await pruneTransformer(model, { importance: l2, heads: { kind: 'perLayer', keep: layout.heads }, mlpKeep: 1, layers: { kind: 'count', count: 0 } });
    assert.equal(result.parametersAfter, result.parametersBefore);
    const feeds = tokenFeeds(model, 2, 8, vocab);
    const [a, b] = [await runFirstOutput(model, feeds), await runFirstOutput(result.model, feeds)];
    assert.equal(maxAbsDiff(a.data, b.data), 0, layout.name);
  }
});

test('removing heads equals zeroing their output-projection rows in the original; parameters fall by what the heads owned', async () => {
  for (const [layout, load, vocab] of cases) {
    const model = load();
    const result = await pruneTransformer(model, { importance: l2, heads: { kind: 'perLayer', keep: 2 } });
    let masked = model;
    for (const layer of result.layers) {
      assert.equal(layer.keptHeads.length, 2);
      const { parameter, axis } = layout.outProjection(layer.index);
      masked = zeroAlong(masked, parameter, axis, headUnits(removed(layer.keptHeads, layout.heads), layout.headDim));
    }
    // Each removed head: d_head columns (and biases) of q, k, v, d_head rows of the output projection.
    const dim = layout.heads * layout.headDim;
    const perHead = layout.headDim * (3 * dim + 3 + dim);
    assert.equal(result.parametersBefore - result.parametersAfter, result.layers.length * 2 * perHead, layout.name);
    for (const seq of [8, 5]) {
      const feeds = tokenFeeds(model, 3, seq, vocab);
      const [expected, actual] = [await runFirstOutput(masked, feeds), await runFirstOutput(result.model, feeds)];
      assert.deepEqual(actual.dims, expected.dims);
      assert.ok(maxAbsDiff(expected.data, actual.data) < 1e-5, `${layout.name} seq ${seq}: ${maxAbsDiff(expected.data, actual.data)}`);
      // And the heads did matter: the pruned model differs from the original.
      assert.ok(maxAbsDiff((await runFirstOutput(model, feeds)).data, actual.data) > 1e-4, layout.name);
    }
  }
});

test('a global head fraction keeps that share of all heads, at least one per layer', async () => {
  const model = tinyGpt();
  const result = await pruneTransformer(model, { importance: l2, heads: { kind: 'fraction', keep: 0.25, scope: 'global' } });
  assert.equal(result.layers.reduce((s, l) => s + l.keptHeads.length, 0), 3);
  assert.ok(result.layers.every((l) => l.keptHeads.length >= 1));
  await runFirstOutput(result.model, tokenFeeds(model, 1, 4, GPT.vocabSize));
});

test('removing MLP units equals zeroing their fc2 rows in the original', async () => {
  for (const [layout, load, vocab] of cases) {
    const model = load();
    const result = await pruneTransformer(model, { importance: { kind: 'weight', norm: 'l1' }, mlpKeep: 0.25 });
    const dim = layout.heads * layout.headDim;
    const kept = layout.mlpWidth / 4;
    assert.ok(result.layers.every((l) => l.mlpKept === kept));
    // fc1 column and bias, fc2 row per unit.
    assert.equal(result.parametersBefore - result.parametersAfter, result.layers.length * (layout.mlpWidth - kept) * (2 * dim + 1));
    let masked = model;
    for (const layer of result.layers) {
      const { parameter, axis } = layout.fc2(layer.index);
      assert.equal(new Graph(result.model.graph!).initializer(parameter)!.dims.map(Number)[axis], kept);
      masked = zeroAlong(masked, parameter, axis, removed(layer.mlpKeptUnits[0]!, layout.mlpWidth));
    }
    const feeds = tokenFeeds(model, 2, 8, vocab);
    const [expected, actual] = [await runFirstOutput(masked, feeds), await runFirstOutput(result.model, feeds)];
    assert.ok(maxAbsDiff(expected.data, actual.data) < 1e-5, `${layout.name}: ${maxAbsDiff(expected.data, actual.data)}`);
    assert.ok(maxAbsDiff((await runFirstOutput(model, feeds)).data, actual.data) > 1e-4, layout.name);
  }
});

test('dropping layers equals the teacher without them (retort GPT: the layer-subset student)', async () => {
  const teacher = tinyGpt();
  const feeds = tokenFeeds(teacher, 2, 8, GPT.vocabSize);
  for (const drop of [[2], [1], [0, 2]]) {
    const result = await pruneTransformer(teacher, { importance: l2, layers: { kind: 'indices', layers: drop } });
    const student = studentFromTeacherLayers(teacher, [0, 1, 2].filter((i) => !drop.includes(i)));
    assert.equal(result.parametersAfter, parameterCount(new Graph(student.graph!)), `drop ${drop}`);
    const [expected, actual] = [await runFirstOutput(student, feeds), await runFirstOutput(result.model, feeds)];
    assert.ok(maxAbsDiff(expected.data, actual.data) < 1e-6, `drop ${drop}: ${maxAbsDiff(expected.data, actual.data)}`);
  }
});

test('dropping the last block of gpt_tiny equals its final LayerNorm and head on block 0\'s output', async () => {
  const model = loadGptTiny();
  const result = await pruneTransformer(model, { importance: l2, layers: { kind: 'indices', layers: [1] } });
  // The truncated teacher by hand: the final LayerNorm reads the residual stream after block 0 (/Add_3).
  const truncated = decodeModel(encodeModel(model));
  const graph = new Graph(truncated.graph!);
  graph.renameValueUses('/Add_6_output_0', '/Add_3_output_0');
  const feeds = tokenFeeds(model, 2, 32, 65);
  const [expected, actual] = [await runFirstOutput(truncated, feeds), await runFirstOutput(result.model, feeds)];
  assert.ok(maxAbsDiff(expected.data, actual.data) < 1e-6, `${maxAbsDiff(expected.data, actual.data)}`);
  assert.ok(!result.model.graph!.initializer.some((t) => t.name.startsWith('blocks.1.')));
});

test('the head count is fixed where it appears: gpt_tiny\'s Split sizes and computed head-split shapes; retort GPT needs no change', async () => {
  const gpt = await pruneTransformer(tinyGpt(), { importance: l2, heads: { kind: 'perLayer', keep: 1 } });
  // retort's builder splits heads with [0, 0, -1, d_head] and merges with [0, 0, -1]: no new shape constants.
  assert.ok(!gpt.model.graph!.initializer.some((t) => t.name.includes('pruned_')));
  const fixture = await pruneTransformer(loadGptTiny(), { importance: l2, heads: { kind: 'perLayer', keep: 3 } });
  const graph = new Graph(fixture.model.graph!);
  const ints = (value: string) => Array.from(readTensor(graph.initializer(value)!), Number);
  const splits = graph.nodes.filter((n) => n.opType === 'Split');
  assert.deepEqual(splits.map((s) => ints(s.input[1]!)), [[36, 36, 36], [36, 36, 36]]);
  const shapes = graph.nodes.filter((n) => n.opType === 'Reshape').map((n) => ints(n.input[1]!).join());
  assert.deepEqual(shapes.sort(), [...Array(6).fill('0,0,-1,12'), '0,0,-1', '0,0,-1'].sort());
  // The Shape/Gather/Concat chains that computed [B, T, 4, -1] are gone; the 1/√d_head scale still reads Shape.
  assert.equal(graph.nodes.filter((n) => n.opType === 'Concat').length, 0);
});

test('BERT (post-LN, padding mask) loses heads and MLP width but not layers; a model without attention is refused with the reason', async () => {
  const bert = buildBert({ layers: 2, dim: 16, heads: 4, context: 8, vocabSize: 11, numClasses: 2, attentionMask: true, seed: 1 });
  const result = await pruneTransformer(bert, { importance: l2, heads: { kind: 'perLayer', keep: 2 }, mlpKeep: 0.5 });
  assert.ok(result.parametersAfter < result.parametersBefore);
  assert.match(result.layers[0]!.notDroppable ?? '', /not a pre-LN block/);
  await runFirstOutput(result.model, sampleFeeds(bert, resolveInputShapes(bert, {}, 3), 0, 2));
  await assert.rejects(pruneTransformer(bert, { importance: l2, layers: { kind: 'count', count: 1 } }), /0 of 2 layers can be dropped; blocks.0: it is not a pre-LN block/);
  const mlp = buildMlp({ hidden: [8], numClasses: 3, seed: 1 });
  await assert.rejects(pruneTransformer(mlp, { importance: l2, heads: { kind: 'perLayer', keep: 1 } }), (e: Error & { code?: string }) => e.code === 'GRAPH_INVALID' && /no Softmax over the last axis of a 4-D/.test(e.message));
});
