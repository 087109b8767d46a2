/**
 * Dependency analysis: starting from each contraction's output units, follow the channels through
 * every op's coupling rule, forwards to consumers and backwards to producers, until each group holds
 * every tensor axis and parameter slice that must shrink together (a residual Add's operands, the
 * BatchNorm vectors, the next layer's input columns). A group that reaches a graph input or output, a
 * shape-changing op or an op without a rule is kept whole and says why.
 */
import { Graph } from '../../onnx/graph.js';
import { listParameters } from '../../onnx/parameters.js';
import type { ModelProto, NodeProto } from '../../onnx/proto.js';
import type { ValueShape } from '../../runtime/shapeInference.js';
import { RetortError } from '../../util/errors.js';
import { sliceKey, slotKey, type AxisSlot, type CouplingContext, type ParameterSlice, type Port } from './coupling.js';
import { couplingRules } from './rules/registerAll.js';

export interface ChannelGroup {
  /** Index in analysis order. */
  id: number;
  /** Name of the node whose output units started the group (first member found). */
  source: string;
  /** Nodes whose output units belong to the group (several for a residual group). */
  producers: string[];
  channels: number;
  slots: AxisSlot[];
  slices: ParameterSlice[];
  /** Integer attributes set to the kept channel count (depthwise Conv group). */
  channelCountAttributes: { node: string; attribute: string }[];
  /** Why the group cannot be pruned; undefined when it can. */
  blocked?: string;
}

/** What the coupling rules (and the transformer pattern matchers) ask of a graph: shapes, parameters, 2-D weights. */
export function contextFor(graph: Graph, shapes: ReadonlyMap<string, ValueShape>): Omit<CouplingContext, 'channels'> {
  const parameters = new Set(listParameters(graph).map((p) => p.name));
  const shapeOf = (value: string): readonly number[] => {
    const shape = shapes.get(value);
    if (!shape) throw new RetortError('SHAPE_UNKNOWN', `No inferred shape for value "${value}"`);
    return shape.dims;
  };
  return {
    graph,
    shapeOf,
    isParameter: (value) => parameters.has(value),
    weightOf(value) {
      if (parameters.has(value)) return shapeOf(value).length === 2 ? { parameter: value, transposed: false } : undefined;
      const producer = graph.producerOf(value);
      const perm = producer?.opType === 'Transpose' ? producer.attribute.find((a) => a.name === 'perm')?.ints.map(Number) : undefined;
      const source = producer?.input[0];
      if (source && parameters.has(source) && shapeOf(source).length === 2 && (!perm || (perm[0] === 1 && perm[1] === 0))) {
        return { parameter: source, transposed: true };
      }
      return undefined;
    },
  };
}

function portsOf(node: NodeProto, value: string, side: Port['side']): Port[] {
  const list = side === 'input' ? node.input : node.output;
  return list.flatMap((v, index) => (v === value ? [{ side, index }] : []));
}

/** Trace one group from a source slot. */
function traceGroup(id: number, source: NodeProto, start: AxisSlot, base: Omit<CouplingContext, 'channels'>): ChannelGroup {
  const channels = base.shapeOf(start.value)[start.axis]!;
  const ctx: CouplingContext = { ...base, channels };
  const group: ChannelGroup = { id, source: source.name, producers: [], channels, slots: [], slices: [], channelCountAttributes: [] };
  const seenSlots = new Set<string>();
  const seenSlices = new Set<string>();
  const visited = new Set<NodeProto>();
  const queue: AxisSlot[] = [start];
  seenSlots.add(slotKey(start));
  const block = (why: string): ChannelGroup => ({ ...group, blocked: why });
  while (queue.length > 0) {
    const slot = queue.shift()!;
    group.slots.push(slot);
    if (base.graph.isGraphOutput(slot.value)) return block(`its channels reach the graph output "${slot.value}"`);
    const producer = base.graph.producerOf(slot.value);
    if (!producer) return block(`its channels reach the graph input "${slot.value}"`);
    const arrivals: [NodeProto, Port][] = [
      ...portsOf(producer, slot.value, 'output').map((p): [NodeProto, Port] => [producer, p]),
      ...base.graph.consumersOf(slot.value).flatMap((n) => portsOf(n, slot.value, 'input').map((p): [NodeProto, Port] => [n, p])),
    ];
    for (const [node, port] of arrivals) {
      const rule = node.domain ? undefined : couplingRules.find(node.opType);
      if (!rule) return block(`its channels reach ${node.opType} "${node.name}", which has no coupling rule`);
      visited.add(node);
      const result = rule.couple(node, port, slot, ctx);
      if ('blocked' in result) return block(result.blocked);
      for (const c of result.couplings) {
        if (c.kind === 'slot' && !seenSlots.has(slotKey(c.slot))) {
          seenSlots.add(slotKey(c.slot));
          queue.push(c.slot);
        } else if (c.kind === 'slice' && !seenSlices.has(sliceKey(c.slice))) {
          seenSlices.add(sliceKey(c.slice));
          group.slices.push(c.slice);
          if (c.slice.role === 'out' && !group.producers.includes(node.name)) group.producers.push(node.name);
        } else if (c.kind === 'channelCountAttribute' && !group.channelCountAttributes.some((a) => a.node === c.node)) {
          group.channelCountAttributes.push({ node: c.node, attribute: c.attribute });
        }
      }
    }
  }
  // A parameter shared with a node outside the group would be sliced under that node's feet.
  for (const slice of group.slices) {
    for (const consumer of base.graph.consumersOf(slice.parameter)) {
      const viaTranspose = consumer.opType === 'Transpose' && base.graph.consumersOf(consumer.output[0]!).every((n) => visited.has(n));
      if (!visited.has(consumer) && !viaTranspose) return block(`parameter "${slice.parameter}" is also read by ${consumer.opType} "${consumer.name}"`);
    }
  }
  return group;
}

/** Every channel group of the model, pruneable or blocked, for the shapes of one inference run. */
export function analyzeChannelGroups(model: ModelProto, shapes: ReadonlyMap<string, ValueShape>): ChannelGroup[] {
  const graph = new Graph(model.graph!);
  const base = contextFor(graph, shapes);
  const groups: ChannelGroup[] = [];
  const covered = new Set<string>();
  for (const node of graph.topologicalOrder()) {
    const rule = node.domain ? undefined : couplingRules.find(node.opType);
    const axis = rule?.sourceAxis?.(node, { ...base, channels: 0 });
    if (axis === undefined) continue;
    const start: AxisSlot = { value: node.output[0]!, axis, offset: 0, block: 1 };
    if (covered.has(slotKey(start))) continue;
    const group = traceGroup(groups.length, node, start, base);
    for (const s of group.slots) covered.add(slotKey(s));
    groups.push(group);
  }
  return groups;
}
