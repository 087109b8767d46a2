import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/model.js';
import { newGraph, newModel, newValueInfo } from '../../src/onnx/proto.js';
import { makeTensor } from '../../src/onnx/tensor.js';
import { Session, parseProvider } from '../../src/runtime/session.js';
import { floatTensor } from '../../src/runtime/tensors.js';
import { measureLatency } from '../../src/runtime/timing.js';
import { RetortError } from '../../src/util/errors.js';

/** y = x @ W + 1 for a 2x3 input, built in memory. */
function tinyModel(): Uint8Array {
  const model = newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: newGraph({ name: 'tiny' }) });
  const graph = new Graph(model.graph!);
  graph.addInitializer(makeTensor('W', [3, 2], Float32Array.from([1, 2, 3, 4, 5, 6])));
  graph.addInitializer(makeTensor('one', [], Float32Array.of(1)));
  model.graph!.input.push(newValueInfo({ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'n' }, { dimValue: 3 }] } } } }));
  graph.addNode({ opType: 'MatMul', inputs: ['x', 'W'], outputs: ['xw'] });
  graph.addNode({ opType: 'Add', inputs: ['xw', 'one'], outputs: ['y'] });
  model.graph!.output.push(newValueInfo({ name: 'y' }));
  return encodeModel(model);
}

test('a session runs an in-memory graph and names its inputs and outputs', async () => {
  const session = await Session.create(tinyModel(), { threads: 1 });
  assert.deepEqual(session.inputNames, ['x']);
  assert.deepEqual(session.outputNames, ['y']);
  const { y } = await session.run({ x: floatTensor(Float32Array.from([1, 0, 0, 0, 1, 1]), [2, 3]) });
  assert.deepEqual([...y!.dims], [2, 2]);
  assert.deepEqual([...(y!.data as Float32Array)], [2, 3, 9, 11]);
  await session.dispose();
});

test('a preallocated output is written in place', async () => {
  const session = await Session.create(tinyModel());
  const out = floatTensor(new Float32Array(2), [1, 2]);
  await session.run({ x: floatTensor(Float32Array.from([0, 0, 1]), [1, 3]) }, { y: out });
  assert.deepEqual([...(out.data as Float32Array)], [6, 7]);
  await session.dispose();
});

test('webgpu without a GPU is a clear PROVIDER_UNAVAILABLE error, not a crash or hang', { skip: process.env.RETORT_HAS_GPU === '1' }, async () => {
  await assert.rejects(Session.create(tinyModel(), { provider: 'webgpu' }), (e: unknown) => {
    assert.ok(e instanceof RetortError);
    assert.equal(e.code, 'PROVIDER_UNAVAILABLE');
    assert.match(e.message, /webgpu/);
    return true;
  });
});

test('an unknown provider name lists the valid ones', () => {
  assert.throws(() => parseProvider('cuda'), /Unsupported provider "cuda". Should be one of: cpu, webgpu/);
});

test('ORT failures while running become RUNTIME_FAILURE naming the session', async () => {
  const session = await Session.create(tinyModel(), { name: 'tiny model' });
  await assert.rejects(session.run({ x: floatTensor(new Float32Array(4), [1, 4]) }), (e: unknown) => {
    assert.ok(e instanceof RetortError && e.code === 'RUNTIME_FAILURE');
    assert.match(e.message, /tiny model/);
    return true;
  });
  await session.dispose();
});

test('bytes that are not a model fail at session creation with RUNTIME_FAILURE', async () => {
  await assert.rejects(Session.create(Uint8Array.from([1, 2, 3])), (e: unknown) => e instanceof RetortError && e.code === 'RUNTIME_FAILURE');
});

test('latency statistics are ordered and count the runs', async () => {
  const session = await Session.create(tinyModel());
  const stats = await measureLatency(session, { x: floatTensor(new Float32Array(3), [1, 3]) }, 20, 2);
  assert.equal(stats.runs, 20);
  assert.ok(stats.p50Ms > 0 && stats.p50Ms <= stats.p95Ms);
  await session.dispose();
});
