/**
 * Transformer layers found from the graph: each recognised attention pattern (attention.ts), the
 * residual branch that holds it, and the MLP branch after it, whose hidden units are the channel
 * groups the dependency analysis (dependencies.ts) finds inside that branch: fc1's output units,
 * through bias, activation and GELU's decomposition, to fc2's input rows.
 *
 * A pre-LN block (GPT-2; Xiong et al. 2020) is y = h + MLP(LN2(h)), h = x + Attn(LN1(x)): its MLP
 * branch reads the attention residual sum as its shortcut, and dropping the block is y = x. Post-LN
 * blocks (BERT) put a LayerNorm on the residual path itself, so they can lose heads and MLP width
 * but not be dropped here.
 */
import { Graph } from '../../../onnx/graph.js';
import type { ModelProto } from '../../../onnx/proto.js';
import type { ValueShape } from '../../../runtime/shapeInference.js';
import { blockIndexOf } from '../../../models/transformer/names.js';
import { findResidualBranches, type ResidualBranch } from '../blocks.js';
import { analyzeChannelGroups, type ChannelGroup } from '../dependencies.js';
import { requireAttention, type AttentionHeads } from './attention.js';

/** A hidden-unit group of the MLP and the activation its units write (what fc2 reads), units on the last axis. */
export interface MlpGroup {
  group: ChannelGroup;
  activation: string;
}

export interface TransformerLayer {
  /** 0-based, in the order the layers run. */
  index: number;
  /** `blocks.3` when the graph's names say so, else `layer 3`. */
  label: string;
  attention: AttentionHeads;
  attentionBranch?: ResidualBranch;
  mlpBranch?: ResidualBranch;
  mlp: MlpGroup[];
  /** The residual stream into and out of a pre-LN block; absent when the block cannot be dropped. */
  residual?: { input: string; output: string };
  /** Why the layer cannot be dropped, when it cannot. */
  notDroppable?: string;
}

/** The value fc2 reads: a slot value consumed as the data input of the MatMul/Gemm holding the group's 'in' rows. */
function mlpActivation(group: ChannelGroup, graph: Graph): string | undefined {
  const inputs = new Set(group.slices.filter((s) => s.role === 'in').map((s) => s.parameter));
  const readsWeight = (value: string | undefined): boolean => {
    if (!value) return false;
    if (inputs.has(value)) return true;
    const producer = graph.producerOf(value);
    return producer?.opType === 'Transpose' && inputs.has(producer.input[0]!);
  };
  for (const slot of group.slots) {
    if (graph.consumersOf(slot.value).some((n) => n.input[0] === slot.value && readsWeight(n.input[1]))) return slot.value;
  }
  return undefined;
}

export function findTransformerLayers(model: ModelProto, shapes: ReadonlyMap<string, ValueShape>): TransformerLayer[] {
  const graph = new Graph(model.graph!);
  const attention = requireAttention(model, shapes);
  const order = new Map(graph.topologicalOrder().map((n, i) => [n.name, i]));
  const branches = findResidualBranches(model, shapes).sort((a, b) => order.get(a.add)! - order.get(b.add)!);
  const groups = analyzeChannelGroups(model, shapes).filter((g) => !g.blocked);
  const outputOf = (add: string): string => graph.nodes.find((n) => n.name === add)!.output[0]!;
  const attentionBranches = attention.map((a) => branches.find((b) => b.nodes.includes(a.nodes[0]!)));
  const layers = attention.map((a, index): TransformerLayer => {
    const attentionBranch = attentionBranches[index];
    const indices = new Set(a.nodes.map((n) => blockIndexOf(n)));
    const named = indices.size === 1 ? [...indices][0] : undefined;
    const layer: TransformerLayer = { index, label: named !== undefined ? `blocks.${named}` : `layer ${index}`, attention: a, attentionBranch, mlp: [] };
    if (!attentionBranch) {
      layer.notDroppable = 'its attention is not a residual branch y = x + Attn(x)';
      return layer;
    }
    // The MLP: the next residual branch without attention, before the next layer's attention branch.
    const start = order.get(attentionBranch.add)!;
    const end = attentionBranches[index + 1] ? order.get(attentionBranches[index + 1]!.add)! : Infinity;
    const mlpBranch = branches.find((b) => order.get(b.add)! > start && order.get(b.add)! < end && !attentionBranches.includes(b));
    layer.mlpBranch = mlpBranch;
    if (mlpBranch) {
      const inBranch = new Set(mlpBranch.nodes);
      for (const group of groups) {
        const activation = group.producers.every((p) => inBranch.has(p)) ? mlpActivation(group, graph) : undefined;
        if (activation) layer.mlp.push({ group, activation });
      }
    }
    if (!mlpBranch) layer.notDroppable = 'no MLP residual branch follows its attention';
    else if (mlpBranch.shortcut !== outputOf(attentionBranch.add)) layer.notDroppable = 'it is not a pre-LN block (its MLP branch does not read the attention residual sum)';
    else layer.residual = { input: attentionBranch.shortcut, output: outputOf(mlpBranch.add) };
    return layer;
  });
  return layers;
}
