/**
 * Multiply-accumulate counts (MACs) per node, from the shapes ORT computed for one set of input
 * shapes (src/runtime/shapeInference.ts).
 *
 * Convention: one MAC is one multiply-add, counted only for the ops whose cost is a contraction —
 * Conv, ConvTranspose, MatMul and Gemm (and their registered kin). Bias adds, activations, other
 * elementwise ops, pooling, normalization and data movement count as 0: they are linear in the
 * tensor size and usually small next to the contractions, and counting them in the same unit
 * would mix adds, compares and exponentials. This matches what "MACs" means in model cards.
 * Nodes inside subgraphs (If/Loop/Scan bodies) are not counted: their shapes are not inferred.
 */
import { attrInt } from '../onnx/attributes.js';
import type { ModelProto, NodeProto } from '../onnx/proto.js';
import { inferShapes, resolveInputShapes, sampleFeeds, type ValueShape } from '../runtime/shapeInference.js';
import { Registry } from '../util/registry.js';

/** Code-unit order, so output does not depend on the machine's locale. */
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Dims of a value by name, or undefined when shape inference did not see it. */
export type ShapeOf = (value: string) => readonly number[] | undefined;

/** MACs of one node from its input and output dims; undefined when a needed shape is unknown. */
export type MacRule = (node: NodeProto, shapeOf: ShapeOf) => number | undefined;

const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

function dimsOf(shapeOf: ShapeOf, node: NodeProto, side: 'input' | 'output', index: number): readonly number[] | undefined {
  const name = (side === 'input' ? node.input : node.output)[index];
  return name ? shapeOf(name) : undefined;
}

/** Each output element of a convolution is a dot product over W[1:] = (C/group) x kernel. */
const convMacs: MacRule = (node, shapeOf) => {
  const w = dimsOf(shapeOf, node, 'input', 1);
  const y = dimsOf(shapeOf, node, 'output', 0);
  return w && y ? product(y) * product(w.slice(1)) : undefined;
};

/** Each input element of a transposed convolution is scattered through W[1:] = (M/group) x kernel. */
const convTransposeMacs: MacRule = (node, shapeOf) => {
  const x = dimsOf(shapeOf, node, 'input', 0);
  const w = dimsOf(shapeOf, node, 'input', 1);
  return x && w ? product(x) * product(w.slice(1)) : undefined;
};

/** Each output element is a dot product of length K, A's last dim (numpy matmul semantics). */
const matMulMacs: MacRule = (node, shapeOf) => {
  const a = dimsOf(shapeOf, node, 'input', 0);
  const y = dimsOf(shapeOf, node, 'output', 0);
  if (!a || !y || a.length === 0) return undefined;
  return product(y) * a[a.length - 1]!;
};

/** Y = alpha * A' B' + beta * C with A' of shape [M, K]: M*N*K (the C add is not a MAC). */
const gemmMacs: MacRule = (node, shapeOf) => {
  const a = dimsOf(shapeOf, node, 'input', 0);
  const y = dimsOf(shapeOf, node, 'output', 0);
  if (!a || !y || a.length !== 2) return undefined;
  const k = attrInt(node, 'transA', 0) ? a[0]! : a[1]!;
  return product(y) * k;
};

/** Rules by ONNX op type (default domain); ops not listed cost 0 MACs by the convention above. */
export const macRules = new Registry<MacRule>('MAC rule')
  .register('Conv', convMacs)
  .register('ConvTranspose', convTransposeMacs)
  .register('MatMul', matMulMacs)
  .register('Gemm', gemmMacs);

export interface NodeMacs {
  node: string;
  opType: string;
  /** null when a rule exists but a shape it needs was not inferred. */
  macs: number | null;
}

const isDefaultDomain = (domain: string): boolean => domain === '' || domain === 'ai.onnx';

/** MACs of every main-graph node that has a rule. */
export function countNodeMacs(model: ModelProto, shapes: ReadonlyMap<string, ValueShape>): NodeMacs[] {
  const shapeOf: ShapeOf = (value) => shapes.get(value)?.dims;
  const result: NodeMacs[] = [];
  for (const node of model.graph?.node ?? []) {
    const rule = isDefaultDomain(node.domain) ? macRules.find(node.opType) : undefined;
    if (!rule) continue;
    result.push({ node: node.name || node.output[0] || node.opType, opType: node.opType, macs: rule(node, shapeOf) ?? null });
  }
  return result;
}

export interface OpTypeMacs {
  opType: string;
  nodes: number;
  macs: number;
}

export interface MacsSummary {
  /** The concrete input dims the counts hold for. */
  inputShapes: Record<string, number[]>;
  total: number;
  /** Per op type, largest first. */
  byOpType: OpTypeMacs[];
  /** Nodes with a rule whose shapes were unknown (left out of the totals). */
  uncounted: string[];
}

export function summarizeMacs(nodeMacs: readonly NodeMacs[], inputShapes: Record<string, number[]>): MacsSummary {
  const byOp = new Map<string, OpTypeMacs>();
  const uncounted: string[] = [];
  for (const n of nodeMacs) {
    if (n.macs === null) {
      uncounted.push(n.node);
      continue;
    }
    const entry = byOp.get(n.opType) ?? { opType: n.opType, nodes: 0, macs: 0 };
    entry.nodes += 1;
    entry.macs += n.macs;
    byOp.set(n.opType, entry);
  }
  const byOpType = [...byOp.values()].sort((a, b) => b.macs - a.macs || byName(a.opType, b.opType));
  return { inputShapes, total: byOpType.reduce((s, e) => s + e.macs, 0), byOpType, uncounted };
}

/** Shapes of every main-graph value for one concrete set of input shapes. */
export interface InferredShapes {
  inputShapes: Record<string, number[]>;
  values: ReadonlyMap<string, ValueShape>;
}

/**
 * Run the model once in ORT on seeded sample inputs of the given shapes (declared dims otherwise,
 * symbolic ones set to `defaultDim`) and record every value's shape.
 */
export async function inferModelShapes(
  model: ModelProto,
  inputShapeOverrides: Record<string, readonly number[]> = {},
  defaultDim = 1,
): Promise<InferredShapes> {
  const inputShapes = resolveInputShapes(model, inputShapeOverrides, defaultDim);
  return { inputShapes, values: await inferShapes(model, sampleFeeds(model, inputShapes)) };
}

export function macsFromShapes(model: ModelProto, shapes: InferredShapes): MacsSummary {
  return summarizeMacs(countNodeMacs(model, shapes.values), shapes.inputShapes);
}

export async function estimateMacs(
  model: ModelProto,
  inputShapeOverrides: Record<string, readonly number[]> = {},
  defaultDim = 1,
): Promise<MacsSummary> {
  return macsFromShapes(model, await inferModelShapes(model, inputShapeOverrides, defaultDim));
}
