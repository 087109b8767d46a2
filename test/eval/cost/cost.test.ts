/**
 * The cost model on hand-built models: MACs per layer from the layer geometry, parameter and
 * non-zero counts from the weights written, sparsity and bit-width of float, int8 QDQ and
 * MatMulNBits storage, gzip on sparse vs dense weights, and latency settings as stated.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DataType } from '../../../src/onnx/dtype.js';
import { Graph } from '../../../src/onnx/graph.js';
import { encodeModel } from '../../../src/onnx/model.js';
import { newGraph, newModel, newValueInfo, type ModelProto } from '../../../src/onnx/proto.js';
import { makeTensor } from '../../../src/onnx/tensor.js';
import { measureCost, modelBytes, weightedLayers, countParameters } from '../../../src/eval/cost/index.js';
import { Rng } from '../../../src/util/random.js';
import { buildConvModel } from '../../onnx/handBuiltModel.js';

const info = (name: string, elemType: number, dims: (number | string)[]) =>
  newValueInfo({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } });

/** x[1,in] -> MatMul(W [in,out]) -> y, with W given. */
function matMulModel(weights: Float32Array, inFeatures: number, outFeatures: number): ModelProto {
  const graph = new Graph(newGraph({ name: 'mm', input: [info('x', DataType.FLOAT, ['N', inFeatures])], output: [info('y', DataType.FLOAT, ['N', outFeatures])] }));
  graph.addInitializer(makeTensor('W', [inFeatures, outFeatures], weights));
  graph.addNode({ opType: 'MatMul', inputs: ['x', 'W'], outputs: ['y'], name: 'mm' });
  return newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: graph.proto });
}

const latency = { batch: 2, threads: 1, runs: 3, warmup: 1 };

describe('cost model', () => {
  it('counts MACs per layer from the geometry: Conv, ConvTranspose, Gemm', async () => {
    const model = buildConvModel();
    const cost = await measureCost(encodeModel(model), { model, latency: { ...latency, batch: 1 } });
    // Conv: output [1,6,4,4] x (2 in-channels per group x 3x3) = 96 x 18; ConvTranspose: input
    // [1,6,4,4] x (3 x 2x2) = 96 x 12; Gemm: 5 outputs x 192.
    assert.deepEqual(cost.perLayer.map((l) => [l.opType, l.macs]), [['Conv', 96 * 18], ['ConvTranspose', 96 * 12], ['Gemm', 5 * 192]]);
    assert.equal(cost.macs.total, 96 * 18 + 96 * 12 + 5 * 192);
    assert.deepEqual(cost.perLayer.map((l) => l.weights), [6 * 2 * 9, 6 * 3 * 4, 5 * 192]);
    assert.ok(cost.perLayer.every((l) => l.bits === 32));
    assert.equal(cost.parameters, 6 * 2 * 9 + 6 * 3 * 4 + 5 * 192);
  });

  it('counts MatMul MACs for a given batch, non-zero parameters and sparsity', async () => {
    const w = Float32Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? 0 : i));
    const model = matMulModel(w, 4, 3);
    const cost = await measureCost(encodeModel(model), { model, inputShapes: { x: [5, 4] }, latency });
    assert.equal(cost.macs.total, 5 * 3 * 4);
    assert.equal(cost.parameters, 12);
    assert.equal(cost.nonZeroParameters, 8);
    assert.equal(cost.perLayer[0]!.sparsity, 4 / 12);
    assert.deepEqual(cost.macs.inputShapes, { x: [5, 4] });
  });

  it('states the latency settings and measures positive times', async () => {
    const model = matMulModel(new Float32Array(12).fill(1), 4, 3);
    const cost = await measureCost(encodeModel(model), { model, latency });
    const l = cost.latency;
    assert.deepEqual([l.batch, l.threads, l.runs, l.warmup, l.provider], [2, 1, 3, 1, 'cpu']);
    assert.ok(l.p50Ms > 0 && l.p95Ms >= l.p50Ms, JSON.stringify(l));
    assert.ok(Math.abs(l.throughput - (2 * 1000) / l.meanMs) < 1e-9);
  });

  it('gzip shrinks a 90%-sparse model far more than a dense one of the same size', () => {
    const rng = new Rng(7);
    const dense = Float32Array.from({ length: 256 * 64 }, () => rng.next() - 0.5);
    const sparse = dense.map((v, i) => (i % 10 === 0 ? v : 0));
    const denseBytes = modelBytes(encodeModel(matMulModel(dense, 256, 64)));
    const sparseBytes = modelBytes(encodeModel(matMulModel(sparse, 256, 64)));
    assert.equal(sparseBytes.raw, denseBytes.raw);
    assert.ok(sparseBytes.gzip < 0.3 * denseBytes.gzip, `sparse ${sparseBytes.gzip} vs dense ${denseBytes.gzip} bytes gzipped`);
  });

  it('reads int8 QDQ weights as 8 bits, zeros where the code equals its per-channel zero point', () => {
    const graph = new Graph(newGraph({ name: 'qdq', input: [info('x', DataType.FLOAT, [1, 2])], output: [info('y', DataType.FLOAT, [1, 3])] }));
    // W_q [2,3] int8, per-output-column (axis 1) zero points [0, 5, -1]: zeros at (0,0), (1,1), (0,2).
    graph.addInitializer(makeTensor('Wq', [2, 3], Int8Array.of(0, 4, -1, 7, 5, 3), DataType.INT8));
    graph.addInitializer(makeTensor('scale', [3], Float32Array.of(0.1, 0.1, 0.1)));
    graph.addInitializer(makeTensor('zp', [3], Int8Array.of(0, 5, -1), DataType.INT8));
    graph.addNode({ opType: 'DequantizeLinear', inputs: ['Wq', 'scale', 'zp'], outputs: ['W'], attrs: { axis: 1 } });
    graph.addNode({ opType: 'MatMul', inputs: ['x', 'W'], outputs: ['y'], name: 'mm' });
    const model = newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: graph.proto });
    const [layer] = weightedLayers(model, null);
    assert.deepEqual({ ...layer!.cost }, { name: 'mm', opType: 'MatMul', weights: 6, sparsity: 3 / 6, bits: 8, macs: null });
    // The int8 weight counts as 6 parameters (3 non-zero) besides the float per-channel scales.
    assert.deepEqual(countParameters(model, [layer!]), { parameters: 3 + 6, nonZeroParameters: 3 + 3 });
  });

  it('reads float16 weights as 16 bits, +0 and -0 both zero', () => {
    const graph = new Graph(newGraph({ name: 'half', input: [info('x', DataType.FLOAT16, [1, 2])], output: [info('y', DataType.FLOAT16, [1, 2])] }));
    // 0x0000 +0, 0x8000 -0, 0x3c00 1.0, 0xbc00 -1.0
    graph.addInitializer(makeTensor('W', [2, 2], Uint16Array.of(0x0000, 0x8000, 0x3c00, 0xbc00), DataType.FLOAT16));
    graph.addNode({ opType: 'MatMul', inputs: ['x', 'W'], outputs: ['y'] });
    const model = newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: graph.proto });
    const [layer] = weightedLayers(model, null);
    assert.equal(layer!.cost.bits, 16);
    assert.equal(layer!.cost.sparsity, 0.5);
  });

  it('reads MatMulNBits as its `bits`, zeros where a 4-bit code is the default zero point 8', () => {
    const k = 4;
    const n = 2;
    const blockSize = 16;
    // Per row: one block of 16 codes, 8 bytes, low nibble first; only the first K = 4 codes are weights.
    const codes = [[8, 8, 1, 15], [0, 8, 3, 4]];
    const packed = new Uint8Array(n * 8);
    codes.forEach((row, r) => row.forEach((c, i) => (packed[r * 8 + (i >> 1)]! |= c << ((i & 1) * 4))));
    // Padding codes past K are 8 too: they must not count.
    for (let r = 0; r < n; r++) for (let b = 2; b < 8; b++) packed[r * 8 + b] = 0x88;
    const graph = new Graph(newGraph({ name: 'nbits', input: [info('x', DataType.FLOAT, [1, k])], output: [info('y', DataType.FLOAT, [1, n])] }));
    graph.addInitializer(makeTensor('B', [n, 1, 8], packed, DataType.UINT8));
    graph.addInitializer(makeTensor('scales', [n], Float32Array.of(0.1, 0.2)));
    graph.addNode({
      opType: 'MatMulNBits', domain: 'com.microsoft', inputs: ['x', 'B', 'scales'], outputs: ['y'], name: 'q4',
      attrs: { K: k, N: n, bits: 4, block_size: blockSize },
    });
    const model = newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }, { domain: 'com.microsoft', version: 1 }], graph: graph.proto });
    const [layer] = weightedLayers(model, null);
    assert.deepEqual({ ...layer!.cost }, { name: 'q4', opType: 'MatMulNBits', weights: k * n, sparsity: 3 / 8, bits: 4, macs: null });
  });

  it('a MatMul of two activations is not a layer', () => {
    const graph = new Graph(newGraph({ name: 'qk', input: [info('q', DataType.FLOAT, [2, 3]), info('k', DataType.FLOAT, [3, 2])], output: [info('s', DataType.FLOAT, [2, 2])] }));
    graph.addNode({ opType: 'MatMul', inputs: ['q', 'k'], outputs: ['s'] });
    assert.deepEqual(weightedLayers(newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: graph.proto }), null), []);
  });
});
