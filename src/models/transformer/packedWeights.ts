/**
 * A retort GPT whose MatMuls were quantized to ORT's com.microsoft.MatMulNBits (4- or 8-bit
 * weight-only, src/quantize/weightOnly.ts, as transformers.js `q4` models store them) is still the
 * builder's graph with a different op at each weight. To recognise it (gptShape.ts) and build its
 * KV-cached decode step (decodeStep.ts), each MatMulNBits goes back to a MatMul on a stand-in float
 * weight of its [K, N] under the weight's own name (the quantizer names the packed codes
 * `<weight>_Q<bits>` and the node `<node>_MatMulNBits`); the stand-in's values are zeros, since
 * recognition compares structure and the step's MatMuls on stand-ins are turned back into the
 * model's own MatMulNBits nodes (the same packed codes, scales and zero points) before anything runs.
 * So the decode step computes what the quantized model computes, op for op.
 */
import { Graph } from '../../onnx/graph.js';
import { decodeModel, encodeModel } from '../../onnx/model.js';
import { int64ToNumber, newNode, type ModelProto, type NodeProto, type TensorProto } from '../../onnx/proto.js';
import { makeTensor } from '../../onnx/tensor.js';

const MS_DOMAIN = 'com.microsoft';
const PACKED_CODES = /^(.+)_Q(\d+)$/;
const NODE_SUFFIX = /_MatMulNBits$/;

/** One MatMulNBits node of the model, by the float weight it stands for. */
interface PackedMatMul {
  node: NodeProto;
  /** Its packed codes, scales and zero points (the initializers after the activation input). */
  initializers: TensorProto[];
}

export interface FloatStandIns {
  /** The model with every recognised MatMulNBits a MatMul on a zero float weight. */
  model: ModelProto;
  /** The replaced nodes by weight name (empty: the model had none). */
  packed: Map<string, PackedMatMul>;
}

const attribute = (node: NodeProto, name: string): number | undefined => {
  const a = node.attribute.find((x) => x.name === name);
  return a?.i === undefined ? undefined : int64ToNumber(a.i);
};

/** The model with MatMul stand-ins for its MatMulNBits nodes (those whose names and inputs follow the quantizer's). */
export function withFloatStandIns(model: ModelProto): FloatStandIns {
  const packed = new Map<string, PackedMatMul>();
  if (!model.graph!.node.some((n) => n.opType === 'MatMulNBits' && n.domain === MS_DOMAIN)) return { model, packed };
  const copy = decodeModel(encodeModel(model));
  const graph = new Graph(copy.graph!);
  for (const node of [...graph.nodes]) {
    if (node.opType !== 'MatMulNBits' || node.domain !== MS_DOMAIN) continue;
    const weight = PACKED_CODES.exec(node.input[1] ?? '')?.[1];
    const k = attribute(node, 'K');
    const n = attribute(node, 'N');
    const initializers = node.input.slice(1).filter((i) => i !== '').map((i) => graph.initializer(i));
    if (weight === undefined || k === undefined || n === undefined || !NODE_SUFFIX.test(node.name) || initializers.some((t) => t === undefined) || graph.initializer(weight)) continue;
    packed.set(weight, { node, initializers: initializers as TensorProto[] });
    graph.addInitializer(makeTensor(weight, [k, n], new Float32Array(k * n)));
    graph.replaceNode(node, [newNode({ opType: 'MatMul', name: node.name.replace(NODE_SUFFIX, ''), input: [node.input[0]!, weight], output: [...node.output], domain: '' })]);
    for (const t of initializers as TensorProto[]) if (graph.consumersOf(t.name).length === 0) graph.removeInitializer(t.name);
  }
  return { model: copy, packed };
}

/** `built` (made from the stand-ins) with each MatMul on a stand-in weight back to the model's MatMulNBits. */
export function restorePacked(built: ModelProto, packed: ReadonlyMap<string, PackedMatMul>): ModelProto {
  if (packed.size === 0) return built;
  const graph = new Graph(built.graph!);
  for (const node of [...graph.nodes]) {
    const original = node.opType === 'MatMul' ? packed.get(node.input[1] ?? '') : undefined;
    if (!original) continue;
    graph.replaceNode(node, [newNode({ ...original.node, name: `${node.name}_MatMulNBits`, input: [node.input[0]!, ...original.node.input.slice(1)], output: [...node.output] })]);
  }
  for (const [weight, { initializers }] of packed) {
    graph.removeInitializer(weight);
    for (const t of initializers) if (!graph.initializer(t.name)) graph.addInitializer(t);
  }
  if (!built.opsetImport.some((o) => o.domain === MS_DOMAIN)) built.opsetImport.push({ domain: MS_DOMAIN, version: 1 });
  return built;
}
