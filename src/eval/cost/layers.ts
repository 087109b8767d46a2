/**
 * Per-layer cost: every node that applies a stored weight (Conv, ConvTranspose, MatMul, Gemm,
 * MatMulNBits), with its weight count, sparsity, bit-width and MACs. Which ops are layers, and
 * which input holds the weight, is declared per op type in `layerRules`.
 */
import { attrInt } from '../../onnx/attributes.js';
import { Graph } from '../../onnx/graph.js';
import type { ModelProto, NodeProto } from '../../onnx/proto.js';
import { Registry } from '../../util/registry.js';
import { countNodeMacs, type InferredShapes, type ShapeOf } from '../macs.js';
import { matMulNBitsWeight, qualifiedOpType, storedWeight, type StoredWeight } from './storedWeights.js';
import type { LayerCost } from './types.js';

export interface LayerRule {
  weight(node: NodeProto, graph: Graph): StoredWeight | undefined;
  /** MACs for ops src/eval/macs.ts does not count (custom domains); its count is used otherwise. */
  macs?(node: NodeProto, shapeOf: ShapeOf): number | undefined;
}

/** Y = A B with B [K, N]: every output element is a dot product of length K. */
function matMulMacs(node: NodeProto, shapeOf: ShapeOf): number | undefined {
  const y = shapeOf(node.output[0] ?? '');
  const b = shapeOf(node.input[1] ?? '');
  return y && b && b.length >= 2 ? y.reduce((p, d) => p * d, 1) * b[b.length - 2]! : undefined;
}

/** The weight is the stored value behind input `index` (B of MatMul/Gemm, W of Conv). */
const weightAt = (index: number): LayerRule => ({
  weight: (node, graph) => (node.input[index] ? storedWeight(node.input[index], graph) : undefined),
});

export const layerRules = new Registry<LayerRule>('weight layer')
  .register('Conv', weightAt(1))
  .register('ConvTranspose', weightAt(1))
  .register('MatMul', weightAt(1))
  .register('Gemm', weightAt(1))
  // Dynamic int8 (weights stored int8/uint8, activations quantized at run time): B is input 1.
  .register('com.microsoft.DynamicQuantizeMatMul', { ...weightAt(1), macs: matMulMacs })
  .register('MatMulInteger', { ...weightAt(1), macs: matMulMacs })
  .register('com.microsoft.MatMulNBits', {
    weight: matMulNBitsWeight,
    // Y = A B with A [..., K]: every output element is a dot product of length K.
    macs: (node, shapeOf) => {
      const y = shapeOf(node.output[0] ?? '');
      return y ? y.reduce((a, b) => a * b, 1) * attrInt(node, 'K', 0) : undefined;
    },
  });

const nodeName = (node: NodeProto): string => node.name || node.output[0] || node.opType;

export interface WeightedLayer {
  node: NodeProto;
  cost: LayerCost;
  weight: StoredWeight;
  /** MACs came from the layer rule, not src/eval/macs.ts: they are not in that module's totals. */
  macsFromRule: boolean;
}

/** Layers in graph order; a MatMul of two activations (attention scores) has no stored weight and is no layer. */
export function weightedLayers(model: ModelProto, shapes: InferredShapes | null): WeightedLayer[] {
  const graph = new Graph(model.graph!);
  const shapeOf: ShapeOf = (value) => shapes?.values.get(value)?.dims;
  const macsByNode = new Map(shapes ? countNodeMacs(model, shapes.values).map((n) => [n.node, n.macs] as const) : []);
  const layers: WeightedLayer[] = [];
  for (const node of graph.nodes) {
    const rule = layerRules.find(qualifiedOpType(node));
    const weight = rule?.weight(node, graph);
    if (!rule || !weight) continue;
    const name = nodeName(node);
    const macs = rule.macs ? (shapes ? (rule.macs(node, shapeOf) ?? null) : null) : (macsByNode.get(name) ?? null);
    const sparsity = weight.zeros === null || weight.elements === 0 ? null : weight.zeros / weight.elements;
    layers.push({ node, weight, macsFromRule: rule.macs !== undefined, cost: { name, opType: node.opType, weights: weight.elements, sparsity, bits: weight.bits, macs } });
  }
  return layers;
}
