/**
 * Removing attention heads. Head h owns d_head consecutive output units of each of q, k and v (their
 * weight columns and bias entries) and the same d_head input rows of the output projection; as a
 * channel group of H channels with blocks of d_head, the shared surgery (surgery.ts) slices them all.
 * What else names the head count is then made count-free: the head split's shape becomes
 * [0, 0, -1, d_head] (retort's builders already use it; PyTorch exports compute [B, T, n_head, -1]
 * from Shape/Concat), the merge's [0, 0, -1], and a fused q/k/v Split gets its new part sizes. The
 * softmax scale 1/√d_head does not change: d_head does not.
 */
import { defaultOpset } from '../../../autodiff/gradientModel.js';
import { Graph } from '../../../onnx/graph.js';
import { decodeModel, encodeModel } from '../../../onnx/model.js';
import { newAttribute, type ModelProto, type NodeProto } from '../../../onnx/proto.js';
import { makeTensor, readTensor } from '../../../onnx/tensor.js';
import { RetortError } from '../../../util/errors.js';
import { eliminateDeadCode } from '../blocks.js';
import type { ParameterSlice } from '../coupling.js';
import type { ChannelGroup } from '../dependencies.js';
import { removeChannels, type ChannelDecision } from '../surgery.js';
import type { AttentionHeads } from './attention.js';

/** The heads of one attention as a channel group: H channels, each d_head elements wide in every slice. */
export function headGroup(attention: AttentionHeads, id = 0): ChannelGroup {
  const { heads, headDim: block } = attention;
  const slices: ParameterSlice[] = [];
  for (const p of attention.projections) {
    slices.push({ parameter: p.weight, axis: p.transposed ? 0 : 1, offset: p.offset, block, role: 'out' });
    if (p.bias) slices.push({ parameter: p.bias.parameter, axis: 0, offset: p.bias.offset, block, role: 'channel' });
  }
  slices.push({ parameter: attention.output.weight, axis: attention.output.transposed ? 1 : 0, offset: 0, block, role: 'in' });
  return {
    id,
    source: attention.nodes[0]!,
    producers: [],
    channels: heads,
    slots: attention.values.map((value) => ({ value, axis: -1, offset: 0, block: 1 })),
    slices,
    channelCountAttributes: [],
  };
}

export interface HeadDecision {
  attention: AttentionHeads;
  /** Head indices to keep, ascending; at least one. */
  keep: readonly number[];
}

function int64Constant(graph: Graph, base: string, values: readonly number[]): string {
  const name = graph.uniqueName(base);
  graph.addInitializer(makeTensor(name, [values.length], BigInt64Array.from(values, (v) => BigInt(v))));
  return name;
}

function constantValues(graph: Graph, value: string): number[] | undefined {
  const tensor = graph.initializer(value) ?? graph.producerOf(value)?.attribute.find((a) => a.name === 'value')?.t ?? undefined;
  return tensor ? Array.from(readTensor(tensor), Number) : undefined;
}

/** Point a Reshape at a count-free shape unless it already reads that constant. */
function setShape(graph: Graph, reshape: NodeProto, shape: readonly number[]): void {
  if (constantValues(graph, reshape.input[1]!)?.join() === shape.join()) return;
  reshape.input[1] = int64Constant(graph, `${reshape.name || reshape.output[0]}.pruned_shape`, shape);
}

/** The fused Split's sizes: each q/k/v part keeps `kept` heads of d_head. */
function setSplitSizes(graph: Graph, split: NodeProto, parts: ReadonlySet<number>, width: number, opset: number): void {
  const sizesInput = opset >= 13 ? split.input[1] : undefined;
  const attribute = split.attribute.find((a) => a.name === 'split');
  const sizes = sizesInput ? constantValues(graph, sizesInput) : attribute?.ints.map(Number);
  if (!sizes) {
    // Equal parts stay equal when every part is a projection that loses the same heads.
    if (parts.size === split.output.length) return;
    throw new RetortError('GRAPH_INVALID', `Split "${split.name}" has computed sizes; its q/k/v parts cannot be resized`);
  }
  const resized = sizes.map((s, i) => (parts.has(i) ? width : s));
  if (sizesInput) split.input[1] = int64Constant(graph, `${split.name || split.output[0]}.pruned_sizes`, resized);
  else split.attribute = [...split.attribute.filter((a) => a.name !== 'split'), newAttribute({ name: 'split', type: 7, ints: resized })];
}

/** A copy of `model` without the heads not kept. */
export function removeHeads(model: ModelProto, decisions: readonly HeadDecision[]): ModelProto {
  const changed = decisions.filter((d) => d.keep.length !== d.attention.heads);
  for (const d of decisions) {
    if (d.keep.length === 0) throw new RetortError('BAD_ARGUMENT', `Attention at Softmax "${d.attention.nodes[0]}": keep at least one of its ${d.attention.heads} heads`);
  }
  if (changed.length === 0) return model;
  const decisionsAsChannels: ChannelDecision[] = changed.map((d, i) => ({ group: headGroup(d.attention, i), keep: d.keep }));
  const sliced = removeChannels(model, decisionsAsChannels);
  const graph = new Graph(sliced.graph!);
  const opset = defaultOpset(sliced);
  for (const { attention, keep } of changed) {
    const width = keep.length * attention.headDim;
    const splits = new Map<NodeProto, Set<number>>();
    for (const p of attention.projections) {
      setShape(graph, graph.producerOf(p.splitHeads)!, [0, 0, -1, attention.headDim]);
      if (p.fusedSplit) {
        const split = graph.producerOf(p.fusedSplit)!;
        splits.set(split, (splits.get(split) ?? new Set()).add(split.output.indexOf(p.fusedSplit)));
      }
    }
    for (const [split, parts] of splits) setSplitSizes(graph, split, parts, width, opset);
    setShape(graph, graph.producerOf(attention.mergeHeads)!, [0, 0, -1]);
  }
  graph.touch();
  // The Shape/Concat subgraphs that computed the old head split are dead now.
  eliminateDeadCode(graph);
  return decodeModel(encodeModel(sliced));
}
