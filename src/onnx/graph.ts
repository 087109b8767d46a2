/**
 * A mutable view of a GraphProto with the indices graph transforms need: which node produces a
 * value, who consumes it, topological order, unique names. Indices are rebuilt lazily after edits.
 */
import { RetortError } from '../util/errors.js';
import { makeAttributes, type Attrs } from './attributes.js';
import { newNode, type GraphProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto.js';

export interface NodeSpec {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs?: Attrs;
  name?: string;
  domain?: string;
}

export class Graph {
  private producers: Map<string, NodeProto> | null = null;
  private consumers: Map<string, NodeProto[]> | null = null;
  private initializers: Map<string, TensorProto> | null = null;
  private usedNames: Set<string> | null = null;

  constructor(readonly proto: GraphProto) {}

  get nodes(): readonly NodeProto[] {
    return this.proto.node;
  }

  get inputs(): readonly ValueInfoProto[] {
    return this.proto.input;
  }

  get outputs(): readonly ValueInfoProto[] {
    return this.proto.output;
  }

  /** Inputs that are real model inputs, not initializers listed as inputs (IR < 4 style). */
  get dataInputs(): ValueInfoProto[] {
    return this.proto.input.filter((i) => !this.initializerMap().has(i.name));
  }

  private invalidate(): void {
    this.producers = this.consumers = this.initializers = this.usedNames = null;
  }

  private producerMap(): Map<string, NodeProto> {
    if (!this.producers) {
      this.producers = new Map();
      for (const n of this.proto.node) for (const o of n.output) if (o) this.producers.set(o, n);
    }
    return this.producers;
  }

  private consumerMap(): Map<string, NodeProto[]> {
    if (!this.consumers) {
      this.consumers = new Map();
      for (const n of this.proto.node) {
        for (const i of new Set(n.input)) {
          if (!i) continue;
          const list = this.consumers.get(i) ?? [];
          list.push(n);
          this.consumers.set(i, list);
        }
      }
    }
    return this.consumers;
  }

  private initializerMap(): Map<string, TensorProto> {
    if (!this.initializers) this.initializers = new Map(this.proto.initializer.map((t) => [t.name, t]));
    return this.initializers;
  }

  producerOf(value: string): NodeProto | undefined {
    return this.producerMap().get(value);
  }

  consumersOf(value: string): readonly NodeProto[] {
    return this.consumerMap().get(value) ?? [];
  }

  initializer(name: string): TensorProto | undefined {
    return this.initializerMap().get(name);
  }

  isGraphOutput(value: string): boolean {
    return this.proto.output.some((o) => o.name === value);
  }

  /** Type and shape as the model declares them (inputs, outputs, value_info). */
  valueInfo(name: string): ValueInfoProto | undefined {
    return (
      this.proto.input.find((v) => v.name === name) ??
      this.proto.output.find((v) => v.name === name) ??
      this.proto.valueInfo.find((v) => v.name === name)
    );
  }

  /** Nodes ordered so each comes after the producers of its inputs (Kahn's algorithm, stable). */
  topologicalOrder(): NodeProto[] {
    const producers = this.producerMap();
    const pending = new Map<NodeProto, number>();
    const dependents = new Map<NodeProto, NodeProto[]>();
    for (const node of this.proto.node) {
      const deps = new Set<NodeProto>();
      for (const input of node.input) {
        const p = input ? producers.get(input) : undefined;
        if (p && p !== node) deps.add(p);
      }
      for (const value of subgraphReads(node)) {
        const p = producers.get(value);
        if (p && p !== node) deps.add(p);
      }
      pending.set(node, deps.size);
      for (const d of deps) dependents.set(d, [...(dependents.get(d) ?? []), node]);
    }
    const ready = this.proto.node.filter((n) => pending.get(n) === 0);
    const order: NodeProto[] = [];
    while (ready.length > 0) {
      const node = ready.shift()!;
      order.push(node);
      for (const d of dependents.get(node) ?? []) {
        const left = pending.get(d)! - 1;
        pending.set(d, left);
        if (left === 0) ready.push(d);
      }
    }
    if (order.length !== this.proto.node.length) {
      const stuck = this.proto.node.find((n) => pending.get(n)! > 0)!;
      throw new RetortError('GRAPH_INVALID', `Graph "${this.proto.name}" has a cycle through node "${stuck.name || stuck.opType}"`);
    }
    return order;
  }

  /** A value or node name not yet used in this graph, derived from `base`. */
  uniqueName(base: string): string {
    if (!this.usedNames) {
      this.usedNames = new Set<string>();
      for (const n of this.proto.node) {
        if (n.name) this.usedNames.add(n.name);
        for (const v of [...n.input, ...n.output]) if (v) this.usedNames.add(v);
      }
      for (const v of [...this.proto.input, ...this.proto.output, ...this.proto.valueInfo]) this.usedNames.add(v.name);
      for (const t of this.proto.initializer) this.usedNames.add(t.name);
    }
    let name = base;
    for (let i = 1; this.usedNames.has(name); i++) name = `${base}_${i}`;
    this.usedNames.add(name);
    return name;
  }

  /** Append a node (callers order the graph with topologicalOrder / sortNodes when needed). */
  addNode(spec: NodeSpec): NodeProto {
    const node = newNode({
      opType: spec.opType,
      input: [...spec.inputs],
      output: [...spec.outputs],
      name: spec.name ?? this.uniqueName(spec.opType),
      domain: spec.domain ?? '',
      attribute: makeAttributes(spec.attrs),
    });
    this.proto.node.push(node);
    this.invalidate();
    return node;
  }

  removeNode(node: NodeProto): void {
    const index = this.proto.node.indexOf(node);
    if (index < 0) throw new RetortError('GRAPH_INVALID', `Node "${node.name}" is not in graph "${this.proto.name}"`);
    this.proto.node.splice(index, 1);
    this.invalidate();
  }

  /** Put `replacements` where `node` stood. */
  replaceNode(node: NodeProto, replacements: readonly NodeProto[]): void {
    const index = this.proto.node.indexOf(node);
    if (index < 0) throw new RetortError('GRAPH_INVALID', `Node "${node.name}" is not in graph "${this.proto.name}"`);
    this.proto.node.splice(index, 1, ...replacements);
    this.invalidate();
  }

  addInitializer(tensor: TensorProto): void {
    if (this.initializerMap().has(tensor.name)) {
      throw new RetortError('GRAPH_INVALID', `Initializer "${tensor.name}" already exists in graph "${this.proto.name}"`);
    }
    this.proto.initializer.push(tensor);
    this.invalidate();
  }

  removeInitializer(name: string): void {
    this.proto.initializer = this.proto.initializer.filter((t) => t.name !== name);
    this.invalidate();
  }

  /** Point every consumer (and graph output) of `from` at `to`. */
  renameValueUses(from: string, to: string): void {
    for (const n of this.proto.node) n.input = n.input.map((i) => (i === from ? to : i));
    for (const o of this.proto.output) if (o.name === from) o.name = to;
    this.invalidate();
  }

  /** Reorder the node list topologically (ORT and the ONNX checker expect it). */
  sortNodes(): void {
    this.proto.node = this.topologicalOrder();
    this.invalidate();
  }

  /** Call after editing `proto` directly. */
  touch(): void {
    this.invalidate();
  }
}

/** Outer-scope values a node's subgraphs read (If/Loop/Scan bodies capture by name). */
function subgraphReads(node: NodeProto): string[] {
  const reads: string[] = [];
  for (const a of node.attribute) {
    for (const g of a.g ? [a.g, ...a.graphs] : a.graphs) {
      const local = new Set<string>([...g.input.map((v) => v.name), ...g.initializer.map((t) => t.name)]);
      for (const n of g.node) for (const o of n.output) local.add(o);
      for (const n of g.node) for (const i of n.input) if (i && !local.has(i)) reads.push(i);
      for (const n of g.node) reads.push(...subgraphReads(n).filter((v) => !local.has(v)));
    }
  }
  return reads;
}
