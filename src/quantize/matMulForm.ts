/**
 * MatMul and Gemm seen as y = A · W (+ bias) with a constant W [K, N]: the form dynamic and
 * weight-only quantization rewrite. Gemm with transB=1 stores W as [N, K] and is transposed here;
 * Gemm with alpha/beta other than 1 or transA=1, and MatMuls whose B is neither a 2-D initializer
 * nor a Transpose of one (PyTorch exports tied or transposed Linear weights that way), are not in
 * this form and stay float.
 */
import { attrFloat, attrInt, attrInts } from '../onnx/attributes.js';
import type { Graph } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/proto.js';
import { readFloat32, tensorDims } from '../onnx/tensor.js';
import { Registry } from '../util/registry.js';

export interface MatMulForm {
  activation: string;
  /** Row-major [K, N]. */
  weight: Float32Array;
  k: number;
  n: number;
  weightName: string;
  /** A 1-D bias of N values (Gemm's C), if any. */
  bias?: string;
  /** The Transpose node the weight came through, if any (removed with the weight when unused). */
  via?: NodeProto;
}

type FormReader = (node: NodeProto, graph: Graph) => MatMulForm | undefined;

function constant2d(graph: Graph, name: string | undefined): { data: Float32Array; dims: number[] } | undefined {
  const t = name ? graph.initializer(name) : undefined;
  if (!t || t.dataType !== 1 || t.dims.length !== 2) return undefined;
  return { data: readFloat32(t), dims: tensorDims(t) };
}

export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

const matMul: FormReader = (node, graph) => {
  const w = constant2d(graph, node.input[1]);
  if (w) return { activation: node.input[0]!, weight: w.data, k: w.dims[0]!, n: w.dims[1]!, weightName: node.input[1]! };
  // B = Transpose(W) of a 2-D initializer W [N, K]: the form is W^T.
  const producer = node.input[1] ? graph.producerOf(node.input[1]) : undefined;
  if (producer?.opType !== 'Transpose' || (producer.domain ?? '') !== '') return undefined;
  const perm = attrInts(producer, 'perm');
  if (perm && !(perm.length === 2 && perm[0] === 1 && perm[1] === 0)) return undefined;
  const source = constant2d(graph, producer.input[0]);
  if (!source) return undefined;
  const [n, k] = [source.dims[0]!, source.dims[1]!];
  return { activation: node.input[0]!, weight: transpose2d(source.data, n, k), k, n, weightName: producer.input[0]!, via: producer };
};

const gemm: FormReader = (node, graph) => {
  if (attrInt(node, 'transA', 0) !== 0 || attrFloat(node, 'alpha', 1) !== 1 || attrFloat(node, 'beta', 1) !== 1) return undefined;
  const w = constant2d(graph, node.input[1]);
  if (!w) return undefined;
  const transB = attrInt(node, 'transB', 0) === 1;
  const [k, n] = transB ? [w.dims[1]!, w.dims[0]!] : [w.dims[0]!, w.dims[1]!];
  const biasName = node.input[2];
  const bias = biasName ? graph.initializer(biasName) : undefined;
  if (biasName && (!bias || bias.dims.length !== 1 || Number(bias.dims[0]) !== n)) return undefined;
  return { activation: node.input[0]!, weight: transB ? transpose2d(w.data, n, k) : w.data, k, n, weightName: node.input[1]!, bias: biasName || undefined };
};

/** Op types that have a MatMul form, by op type. */
export const matMulForms = new Registry<FormReader>('MatMul form').register('MatMul', matMul).register('Gemm', gemm);

export function matMulFormOf(node: NodeProto, graph: Graph): MatMulForm | undefined {
  return matMulForms.find(node.opType)?.(node, graph);
}

/** After rewriting a node: drop its weight (and the Transpose it came through) once nothing reads them. */
export function releaseWeight(graph: Graph, form: MatMulForm): void {
  const via = form.via;
  if (via && graph.consumersOf(via.output[0]!).length === 0 && !graph.isGraphOutput(via.output[0]!)) graph.removeNode(via);
  if (graph.consumersOf(form.weightName).length === 0 && !graph.isGraphOutput(form.weightName)) graph.removeInitializer(form.weightName);
}
