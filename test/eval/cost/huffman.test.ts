/**
 * The Huffman-coded size (src/eval/cost/huffmanSize.ts) on hand-built weights whose code lengths
 * are worked out by hand, on a dynamic-int8 MLP, and on random float weights, which get none.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DataType } from '../../../src/onnx/dtype.js';
import { Graph } from '../../../src/onnx/graph.js';
import { encodeModel } from '../../../src/onnx/model.js';
import { newGraph, newModel, newValueInfo, type ModelProto } from '../../../src/onnx/proto.js';
import { makeTensor, readFloat32, writeTensor } from '../../../src/onnx/tensor.js';
import { huffmanBytes, layerHuffmanBits, measureCost, weightedLayers } from '../../../src/eval/cost/index.js';
import { buildMlp } from '../../../src/models/mlp.js';
import { quantizeDynamic } from '../../../src/quantize/dynamic.js';
import { Rng } from '../../../src/util/random.js';

const info = (name: string, dims: (number | string)[]) =>
  newValueInfo({ name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } });

/** x[N,in] -> MatMul(W [in,out]) -> y. */
function matMulModel(weights: Float32Array, inFeatures: number, outFeatures: number): ModelProto {
  const graph = new Graph(newGraph({ name: 'mm', input: [info('x', ['N', inFeatures])], output: [info('y', ['N', outFeatures])] }));
  graph.addInitializer(makeTensor('W', [inFeatures, outFeatures], weights));
  graph.addNode({ opType: 'MatMul', inputs: ['x', 'W'], outputs: ['y'], name: 'mm' });
  return newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: graph.proto });
}

/** Bytes the second layer's coding saves (0 where stored as is is cheaper). */
function savedOnSecond(model: ModelProto): number {
  const second = weightedLayers(model, null)[1]!;
  const bits = layerHuffmanBits(second.weight, second.node.opType)!;
  return Math.max(0, second.weight.elements - Math.ceil(bits / 8));
}

function huffmanOf(model: ModelProto): { raw: number; huffman: number | undefined; layerBits: (number | null)[] } {
  const layers = weightedLayers(model, null);
  const raw = encodeModel(model).byteLength;
  return { raw, huffman: huffmanBytes(raw, layers), layerBits: layers.map((l) => layerHuffmanBits(l.weight, l.node.opType)) };
}

describe('Huffman-coded size', () => {
  it('a weight with 4 values: code lengths 1, 2, 3, 3 for counts 16, 8, 4, 4, plus the codebook', () => {
    const values = [...Array(16).fill(0.5), ...Array(8).fill(-0.5), ...Array(4).fill(1), ...Array(4).fill(2)] as number[];
    const { raw, huffman, layerBits } = huffmanOf(matMulModel(Float32Array.from(values), 8, 4));
    // Codes: 16x1 + 8x2 + 4x3 + 4x3 = 56 bits; codebook: 4 x (32-bit value + 8-bit code length) = 160.
    // No element is 0, so there is no sparse form.
    assert.deepEqual(layerBits, [56 + 160]);
    // 216 bits = 27 bytes replace the 32 x 4 = 128 bytes of float data; the rest of the file stays.
    assert.equal(huffman, raw - 128 + 27);
  });

  it('a pruned layer: Deep Compression sparse form (values and relative positions) when cheaper than dense', () => {
    // 32x32, every 16th element non-zero, alternating 0.25 and -0.75: 64 entries, gaps 0 then 63 x 15.
    const weights = Float32Array.from({ length: 1024 }, (_, i) => (i % 16 === 0 ? ((i / 16) % 2 === 0 ? 0.25 : -0.75) : 0));
    const { raw, huffman, layerBits } = huffmanOf(matMulModel(weights, 32, 32));
    // Sparse (fc: 5-bit relative index): 2 symbols x 32 at 1 bit = 64; gaps {0: 1, 15: 63} at 1 bit = 64;
    // codebook 2 x (32 + 8) = 80; filler's code length 8; relative-index code lengths 32 x 8 = 256. Total 472.
    // Dense would be 960 x 1 + 64 x 2 + 3 x 40 = 1208 bits.
    assert.deepEqual(layerBits, [472]);
    assert.equal(huffman, raw - 4096 + 59);
  });

  it('a pruned per-channel int8 weight whose zero points are all 0 gets the sparse form, as with one zero point', () => {
    // Static QDQ with symmetric per-channel weights stores one zero point per channel, all 0: the
    // pruned codes are still exactly the stored zero, so the sparse form applies.
    const codes = Int8Array.from({ length: 1024 }, (_, i) => (i % 16 === 0 ? ((i / 16) % 2 === 0 ? 5 : -7) : 0));
    const qdqModel = (zeroPoints: number) => {
      const graph = new Graph(newGraph({ name: 'qdq', input: [info('x', ['N', 32])], output: [info('y', ['N', 32])] }));
      graph.addInitializer(makeTensor('W_q', [32, 32], codes));
      graph.addInitializer(makeTensor('W_scale', zeroPoints === 1 ? [] : [32], new Float32Array(zeroPoints).fill(0.01)));
      graph.addInitializer(makeTensor('W_zp', zeroPoints === 1 ? [] : [32], new Int8Array(zeroPoints)));
      graph.addNode({ opType: 'DequantizeLinear', inputs: ['W_q', 'W_scale', 'W_zp'], outputs: ['W'], name: 'dq', attrs: { axis: 1 } });
      graph.addNode({ opType: 'MatMul', inputs: ['x', 'W'], outputs: ['y'], name: 'mm' });
      return newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: graph.proto });
    };
    const perTensor = huffmanOf(qdqModel(1)).layerBits[0]!;
    const perChannel = huffmanOf(qdqModel(32)).layerBits[0]!;
    // Dense coding would be 960 x 1 + 64 x 2 bits plus the codebook; the sparse form is far below it.
    assert.ok(perTensor < 960, `per-tensor: ${perTensor} bits`);
    assert.equal(perChannel, perTensor);
  });

  it('a dynamic-int8 MLP with bell-shaped weights gets a Huffman size below its raw size; its float original gets none', async () => {
    // Trained weights are bell-shaped (Han et al. 2016, Figure 5), so their int8 codes are not
    // equally likely; freshly initialized ones are uniform (next test). Seeded normal weights stand in.
    const model = buildMlp({ inputDims: [196], hidden: [64], numClasses: 10, seed: 3 });
    const rng = new Rng(5);
    for (const t of model.graph!.initializer) if (t.dims.length === 2) writeTensor(t, readFloat32(t).map(() => 0.05 * rng.normal()));
    const quantized = quantizeDynamic(model, { method: 'dynamic', weights: { symmetric: true, granularity: 'per-channel' } }).model;
    const latency = { batch: 1, runs: 2, warmup: 1, threads: 1 };
    const float = await measureCost(encodeModel(model), { model, latency });
    const int8 = await measureCost(encodeModel(quantized), { model: quantized, latency });
    assert.equal(float.bytes.huffman, undefined);
    assert.ok(int8.bytes.huffman !== undefined && int8.bytes.huffman < int8.bytes.raw, JSON.stringify(int8.bytes));
    // The larger layer's codes take fewer bits than 8 each, codebook included.
    const [first] = weightedLayers(quantized, null);
    const bits = layerHuffmanBits(first!.weight, first!.node.opType)!;
    assert.ok(bits < 8 * first!.weight.elements, `${bits} bits for ${first!.weight.elements} int8 codes`);
    assert.equal(int8.bytes.huffman, int8.bytes.raw - first!.weight.elements + Math.ceil(bits / 8) - savedOnSecond(quantized));
  });

  it('int8 codes that are all about equally likely: a Huffman size is given, and it saves nothing', () => {
    // PyTorch's default init is uniform, so its int8 codes are too: stored as is, the size is the raw size.
    const model = buildMlp({ inputDims: [196], hidden: [64], numClasses: 10, seed: 3 });
    const quantized = quantizeDynamic(model, { method: 'dynamic', weights: { symmetric: true, granularity: 'per-channel' } }).model;
    const { raw, huffman } = huffmanOf(quantized);
    assert.equal(huffman, raw);
  });

  it('random float weights: no Huffman size (too many distinct values)', () => {
    const rng = new Rng(11);
    const { huffman, layerBits } = huffmanOf(matMulModel(Float32Array.from({ length: 256 * 64 }, () => rng.next() - 0.5), 256, 64));
    assert.equal(huffman, undefined);
    assert.deepEqual(layerBits, [null]);
    // A small random layer has fewer than 256 values, all distinct: coding never pays, so none either.
    const small = huffmanOf(matMulModel(Float32Array.from({ length: 10 * 16 }, () => rng.next() - 0.5), 10, 16));
    assert.equal(small.huffman, undefined);
    assert.ok(small.layerBits[0]! > 160 * 32);
  });
});
