/** Tiny hand-written models for the pruning tests. */
import { Graph } from '../../src/onnx/graph.js';
import { newGraph, newModel, newValueInfo, type ModelProto } from '../../src/onnx/proto.js';
import { makeTensor } from '../../src/onnx/tensor.js';

const floatInfo = (name: string, dims: readonly (number | string)[]) =>
  newValueInfo({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } } });

/** x [batch, in] -> Gemm(transB=1) per layer, weights [out, in] given row-major, zero biases, Relu between. */
export function gemmChain(layers: readonly { name: string; out: number; in: number; weights: readonly number[] }[]): ModelProto {
  const first = layers[0]!;
  const last = layers.at(-1)!;
  const graph = new Graph(newGraph({ name: 'chain', input: [floatInfo('x', ['batch', first.in])], output: [floatInfo('y', ['batch', last.out])] }));
  let value = 'x';
  layers.forEach((l, i) => {
    graph.addInitializer(makeTensor(l.name, [l.out, l.in], Float32Array.from(l.weights)));
    graph.addInitializer(makeTensor(`${l.name}.bias`, [l.out], new Float32Array(l.out)));
    const out = i === layers.length - 1 ? 'y' : `h${i}`;
    graph.addNode({ opType: 'Gemm', inputs: [value, l.name, `${l.name}.bias`], outputs: [i === layers.length - 1 ? out : `${out}.pre`], attrs: { transB: 1 } });
    if (i < layers.length - 1) graph.addNode({ opType: 'Relu', inputs: [`${out}.pre`], outputs: [out] });
    value = out;
  });
  return newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: graph.proto });
}

/** x [batch, C, H, W] -> Conv with weight [M, C, kh, kw] (the values given row-major). */
export function convModel(dims: readonly [number, number, number, number], weights: Float32Array, group = 1): ModelProto {
  const [m, c, kh, kw] = dims;
  const graph = new Graph(newGraph({ name: 'conv', input: [floatInfo('x', ['batch', c * group, 6, 6])], output: [floatInfo('y', ['batch', m, 7 - kh, 7 - kw])] }));
  graph.addInitializer(makeTensor('conv.weight', [...dims], weights));
  graph.addNode({ opType: 'Conv', inputs: ['x', 'conv.weight'], outputs: ['y'], attrs: { group } });
  return newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: graph.proto });
}

export const maskArray = (mask: Float32Array | undefined): number[] => Array.from(mask ?? []);
