/**
 * The layers low-rank factorization can split, each as a matrix W [out, in] with a way to write the
 * two factors back: Gemm and MatMul (a 2-D weight, possibly behind Transpose as PyTorch exports
 * nn.Linear) become two of the same op through a rank-r bottleneck; a Conv [O, C, kh, kw] is read as
 * [O, C*kh*kw] and becomes a kh x kw conv with r filters followed by a 1x1 conv (Jaderberg et al.
 * 2014 / Zhang et al. 2015 style).
 */
import { attrFloat, attrInt } from '../onnx/attributes.js';
import type { Graph } from '../onnx/graph.js';
import { newAttribute, type AttributeProto, type NodeProto } from '../onnx/proto.js';
import { makeTensor, readFloat32, tensorDims } from '../onnx/tensor.js';
import { Registry } from '../util/registry.js';

export interface FactorizableLayer {
  node: NodeProto;
  /** The parameter holding the weight. */
  parameter: string;
  rows: number;
  cols: number;
  /** W as [out, in], row-major. */
  matrix: Float32Array;
  /** Replace the node by two: first = [r, in] (the input projection), second = [out, r]. */
  rewrite(graph: Graph, first: Float32Array, second: Float32Array, rank: number): void;
}

export type LayerReader = (node: NodeProto, graph: Graph) => FactorizableLayer | undefined;

function initializerOf(graph: Graph, value: string): { name: string; data: Float32Array; dims: number[] } | undefined {
  const t = graph.initializer(value);
  return t && t.dataType === 1 ? { name: value, data: readFloat32(t), dims: tensorDims(t) } : undefined;
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j]!;
  return out;
}

/** The 2-D weight read at `value` as [out, in]: an initializer [in, out], or Transpose of one [out, in]. */
function linearWeight(graph: Graph, value: string, storedOutIn: boolean): { parameter: string; matrix: Float32Array; rows: number; cols: number } | undefined {
  const direct = initializerOf(graph, value);
  if (direct && direct.dims.length === 2) {
    const [a, b] = direct.dims as [number, number];
    return storedOutIn ? { parameter: direct.name, matrix: direct.data, rows: a, cols: b } : { parameter: direct.name, matrix: transpose(direct.data, a, b), rows: b, cols: a };
  }
  const producer = graph.producerOf(value);
  const perm = producer?.attribute.find((x) => x.name === 'perm')?.ints.map(Number);
  if (producer?.opType !== 'Transpose' || (perm && !(perm[0] === 1 && perm[1] === 0))) return undefined;
  const source = initializerOf(graph, producer.input[0]!);
  if (!source || source.dims.length !== 2 || graph.consumersOf(source.name).length !== 1) return undefined;
  const [a, b] = source.dims as [number, number];
  return storedOutIn ? { parameter: source.name, matrix: transpose(source.data, a, b), rows: b, cols: a } : { parameter: source.name, matrix: source.data, rows: a, cols: b };
}

const gemm: LayerReader = (node, graph) => {
  if (attrInt(node, 'transA', 0) || attrFloat(node, 'alpha', 1) !== 1 || graph.consumersOf(node.input[1]!).length !== 1) return undefined;
  const w = linearWeight(graph, node.input[1]!, attrInt(node, 'transB', 0) === 1);
  if (!w) return undefined;
  return {
    node, ...w,
    rewrite(g, first, second, rank) {
      const x = node.input[0]!;
      const p1 = g.uniqueName(`${w.parameter}.lowrank0`);
      const p2 = g.uniqueName(`${w.parameter}.lowrank1`);
      g.addInitializer(makeTensor(p1, [rank, w.cols], first));
      g.addInitializer(makeTensor(p2, [w.rows, rank], second));
      const hidden = g.uniqueName(`${node.output[0]}.lowrank`);
      const a = { ...node, name: g.uniqueName(`${node.name}.lowrank0`), input: [x, p1], output: [hidden], attribute: [] };
      const b = { ...node, input: [hidden, p2, ...node.input.slice(2)], attribute: node.attribute.filter((at) => at.name !== 'transB') };
      g.replaceNode(node, [{ ...a, attribute: [transBAttr()] }, { ...b, attribute: [...b.attribute, transBAttr()] }]);
    },
  };
};

const matMul: LayerReader = (node, graph) => {
  if (graph.consumersOf(node.input[1]!).length !== 1) return undefined;
  const w = linearWeight(graph, node.input[1]!, false);
  if (!w) return undefined;
  return {
    node, ...w,
    rewrite(g, first, second, rank) {
      const p1 = g.uniqueName(`${w.parameter}.lowrank0`);
      const p2 = g.uniqueName(`${w.parameter}.lowrank1`);
      // MatMul computes x @ B with B [in, out]: store the factors transposed.
      g.addInitializer(makeTensor(p1, [w.cols, rank], transpose(first, rank, w.cols)));
      g.addInitializer(makeTensor(p2, [rank, w.rows], transpose(second, w.rows, rank)));
      const hidden = g.uniqueName(`${node.output[0]}.lowrank`);
      g.replaceNode(node, [
        { ...node, name: g.uniqueName(`${node.name}.lowrank0`), input: [node.input[0]!, p1], output: [hidden] },
        { ...node, input: [hidden, p2] },
      ]);
    },
  };
};

const conv: LayerReader = (node, graph) => {
  const w = initializerOf(graph, node.input[1]!);
  if (!w || w.dims.length < 3 || attrInt(node, 'group', 1) !== 1 || graph.consumersOf(w.name).length !== 1) return undefined;
  const [out, ...rest] = w.dims as [number, ...number[]];
  const cols = rest.reduce((a, b) => a * b, 1);
  return {
    node, parameter: w.name, rows: out, cols, matrix: w.data,
    rewrite(g, first, second, rank) {
      const p1 = g.uniqueName(`${w.name}.lowrank0`);
      const p2 = g.uniqueName(`${w.name}.lowrank1`);
      g.addInitializer(makeTensor(p1, [rank, ...rest], first));
      g.addInitializer(makeTensor(p2, [out, rank, ...rest.slice(1).map(() => 1)], second));
      const hidden = g.uniqueName(`${node.output[0]}.lowrank`);
      const pointwise = node.attribute.filter((a) => !['kernel_shape', 'strides', 'pads', 'dilations', 'auto_pad'].includes(a.name));
      g.replaceNode(node, [
        { ...node, name: g.uniqueName(`${node.name}.lowrank0`), input: [node.input[0]!, p1], output: [hidden] },
        { ...node, input: [hidden, p2, ...node.input.slice(2)], attribute: pointwise },
      ]);
    },
  };
};

function transBAttr(): AttributeProto {
  return newAttribute({ name: 'transB', type: 2, i: 1 });
}

/** Readers by ONNX op type. */
export const layerReaders = new Registry<LayerReader>('factorizable layer').register('Gemm', gemm).register('MatMul', matMul).register('Conv', conv);
