import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph } from '../../src/onnx/graph.js';
import { listParameters, parameterCount, readParameter, writeParameter } from '../../src/onnx/parameters.js';
import { makeAttribute } from '../../src/onnx/attributes.js';
import { newGraph, newNode } from '../../src/onnx/proto.js';
import { makeTensor } from '../../src/onnx/tensor.js';
import { RetortError } from '../../src/util/errors.js';

/** x -> Relu -> a; a, W -> MatMul -> b; a, b -> Add -> y, nodes listed out of order on purpose. */
function diamond(): Graph {
  const graph = new Graph(newGraph({ name: 'diamond' }));
  graph.addInitializer(makeTensor('W', [2, 2], Float32Array.from([1, 2, 3, 4])));
  graph.addNode({ opType: 'Add', inputs: ['a', 'b'], outputs: ['y'], name: 'add' });
  graph.addNode({ opType: 'MatMul', inputs: ['a', 'W'], outputs: ['b'], name: 'matmul' });
  graph.addNode({ opType: 'Relu', inputs: ['x'], outputs: ['a'], name: 'relu' });
  return graph;
}

test('producers, consumers and topological order', () => {
  const graph = diamond();
  assert.equal(graph.producerOf('b')!.name, 'matmul');
  assert.equal(graph.producerOf('x'), undefined);
  assert.deepEqual(graph.consumersOf('a').map((n) => n.name).sort(), ['add', 'matmul']);
  assert.deepEqual(graph.topologicalOrder().map((n) => n.name), ['relu', 'matmul', 'add']);
  graph.sortNodes();
  assert.deepEqual(graph.nodes.map((n) => n.name), ['relu', 'matmul', 'add']);
});

test('a cycle is reported with a node name', () => {
  const graph = new Graph(newGraph({ name: 'loop' }));
  graph.addNode({ opType: 'Relu', inputs: ['q'], outputs: ['p'], name: 'r1' });
  graph.addNode({ opType: 'Relu', inputs: ['p'], outputs: ['q'], name: 'r2' });
  assert.throws(() => graph.topologicalOrder(), (e: unknown) => e instanceof RetortError && e.code === 'GRAPH_INVALID' && /cycle/.test(e.message));
});

test('unique names never collide with values, nodes or initializers', () => {
  const graph = diamond();
  assert.equal(graph.uniqueName('W'), 'W_1');
  assert.equal(graph.uniqueName('W'), 'W_2');
  assert.equal(graph.uniqueName('relu'), 'relu_1');
  assert.equal(graph.uniqueName('fresh'), 'fresh');
});

test('remove and replace nodes keep the indices current', () => {
  const graph = diamond();
  const add = graph.producerOf('y')!;
  const sub = newNode({ opType: 'Sub', input: ['a', 'b'], output: ['y'], name: 'sub' });
  graph.replaceNode(add, [sub]);
  assert.equal(graph.producerOf('y')!.opType, 'Sub');
  graph.removeNode(sub);
  assert.equal(graph.producerOf('y'), undefined);
  assert.throws(() => graph.removeNode(sub), (e: unknown) => e instanceof RetortError && e.code === 'GRAPH_INVALID');
  graph.renameValueUses('a', 'x');
  assert.deepEqual(graph.producerOf('b')!.input, ['x', 'W']);
});

test('parameters include Constant-node weights and skip scalars and integers', () => {
  const graph = diamond();
  graph.addInitializer(makeTensor('eps', [], Float32Array.of(1e-5)));
  graph.addInitializer(makeTensor('shape', [2], BigInt64Array.from([1n, 4n])));
  const constant = graph.addNode({ opType: 'Constant', inputs: [], outputs: ['K'], name: 'k' });
  constant.attribute.push(makeAttribute('value', makeTensor('', [3], Float32Array.from([7, 8, 9]))));
  const params = listParameters(graph);
  assert.deepEqual(params.map((p) => [p.name, p.storage]), [['W', 'initializer'], ['K', 'constant']]);
  assert.equal(parameterCount(graph), 7);
  writeParameter(graph, 'K', Float32Array.from([1, 2, 3]));
  assert.deepEqual([...readParameter(graph, 'K')], [1, 2, 3]);
  assert.throws(() => readParameter(graph, 'eps'), /No parameter "eps". Parameters: W, K/);
  assert.throws(() => writeParameter(graph, 'W', new Float32Array(3)), (e: unknown) => e instanceof RetortError && e.code === 'BAD_ARGUMENT');
});

test('a model copied for editing keeps proto defaults such as the empty default domain', async () => {
  const { cloneForEditing } = await import('../../src/autodiff/gradientModel.js');
  const { decodeModel, encodeModel } = await import('../../src/onnx/model.js');
  const { newModel } = await import('../../src/onnx/proto.js');
  const graph = diamond();
  const decoded = decodeModel(encodeModel(newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: graph.proto })));
  const copy = cloneForEditing(decoded);
  assert.deepEqual(copy.graph!.node.map((n) => n.domain), ['', '', '']);
  assert.deepEqual(copy.graph!.node.map((n) => n.attribute), [[], [], []]);
});
