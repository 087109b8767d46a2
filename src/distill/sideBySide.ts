/**
 * Several models side by side in one ONNX graph, reading one shared data input: every value, node
 * and initializer of member k is renamed `PREFIX/name`, so the members never collide. This is how
 * an ensemble of teachers runs as one teacher (one ORT call per batch) and how the students of deep
 * mutual learning train in one training graph (one ORT call per step); `extractMember` takes one
 * member back out as a plain model with its original names.
 */
import { decodeModel, encodeModel } from '../onnx/model.js';
import { Graph } from '../onnx/graph.js';
import { newGraph, newModel, int64ToNumber, type ModelProto, type NodeProto, type ValueInfoProto } from '../onnx/proto.js';
import { RetortError } from '../util/errors.js';

export interface Member {
  /** Unique, non-empty, without '/' (e.g. 'teacher0', 'student1'). */
  prefix: string;
  model: ModelProto;
}

const renamed = (prefix: string, name: string) => (name === '' ? '' : `${prefix}/${name}`);

function dataInput(model: ModelProto, prefix: string): ValueInfoProto {
  const inputs = new Graph(model.graph!).dataInputs;
  if (inputs.length !== 1) throw new RetortError('BAD_ARGUMENT', `Member "${prefix}" must have one data input; it has ${inputs.map((i) => i.name).join(', ') || 'none'}`);
  return inputs[0]!;
}

const perSampleDims = (info: ValueInfoProto) => (info.type?.tensorType?.shape?.dim ?? []).slice(1).map((d) => (d.dimValue === undefined ? d.dimParam ?? '?' : String(int64ToNumber(d.dimValue))));

/**
 * One model running every member on the same input (named as the first member's input). Its
 * outputs are every member's outputs, prefixed, member by member in order. Members must agree on
 * the input's per-sample dims; the default-domain opset is the highest of theirs.
 */
export function composeSideBySide(members: readonly Member[]): ModelProto {
  if (members.length === 0) throw new RetortError('BAD_ARGUMENT', 'Nothing to compose: no members');
  const prefixes = members.map((m) => m.prefix);
  prefixes.forEach((p, i) => {
    if (p === '' || p.includes('/') || prefixes.indexOf(p) !== i) throw new RetortError('BAD_ARGUMENT', `Member prefixes must be unique, non-empty and without '/': got ${prefixes.join(', ')}`);
  });
  const shared = dataInput(members[0]!.model, prefixes[0]!);
  const sharedDims = perSampleDims(shared).join('x');
  const graph = newGraph({ name: `side-by-side(${prefixes.join(',')})`, input: [shared] });
  const opsets = new Map<string, number>();
  for (const { prefix, model: source } of members) {
    const model = decodeModel(encodeModel(source));
    const input = dataInput(model, prefix);
    if (perSampleDims(input).join('x') !== sharedDims) {
      throw new RetortError('BAD_ARGUMENT', `Member "${prefix}" takes samples of [${perSampleDims(input).join(', ')}]; "${prefixes[0]}" takes [${perSampleDims(shared).join(', ')}]`);
    }
    for (const o of model.opsetImport) opsets.set(o.domain, Math.max(opsets.get(o.domain) ?? 0, int64ToNumber(o.version)));
    const g = model.graph!;
    const rename = (name: string) => (name === input.name ? shared.name : renamed(prefix, name));
    for (const node of g.node) graph.node.push(renameNode(node, prefix, rename));
    for (const t of g.initializer) graph.initializer.push({ ...t, name: rename(t.name) });
    // Inputs that are not data (initializer-backed, as older exporters list them) stay declared.
    for (const i of g.input) if (i.name !== input.name) graph.input.push({ ...i, name: rename(i.name) });
    for (const v of g.valueInfo) graph.valueInfo.push({ ...v, name: rename(v.name) });
    for (const o of g.output) graph.output.push({ ...o, name: rename(o.name) });
  }
  const first = members[0]!.model;
  return newModel({
    irVersion: first.irVersion,
    producerName: 'retort',
    opsetImport: [...opsets].map(([domain, version]) => ({ domain, version })),
    graph,
  });
}

function renameNode(node: NodeProto, prefix: string, rename: (name: string) => string): NodeProto {
  if (node.attribute.some((a) => a.g || a.graphs.length > 0)) {
    throw new RetortError('GRAPH_INVALID', `Member "${prefix}": node "${node.name}" (${node.opType}) has subgraphs, which side-by-side composition does not rename`);
  }
  return { ...node, name: renamed(prefix, node.name || node.output[0] || node.opType), input: node.input.map(rename), output: node.output.map(rename) };
}

/** Member `prefix` of a side-by-side model as a model of its own: its nodes, weights and outputs, prefix removed. */
export function extractMember(composed: ModelProto, prefix: string): ModelProto {
  const model = decodeModel(encodeModel(composed));
  const g = model.graph!;
  const head = `${prefix}/`;
  const own = (name: string) => name.startsWith(head);
  const strip = (name: string) => (own(name) ? name.slice(head.length) : name);
  const outputs = g.output.filter((o) => own(o.name));
  if (outputs.length === 0) {
    const known = [...new Set(g.output.map((o) => o.name.split('/')[0]))];
    throw new RetortError('UNKNOWN_KEY', `No member "${prefix}" in the composed model. Members: ${known.join(', ')}`);
  }
  const shared = g.input[0]!;
  const graph = newGraph({
    name: prefix,
    input: [shared, ...g.input.filter((i) => own(i.name)).map((i) => ({ ...i, name: strip(i.name) }))],
    output: outputs.map((o) => ({ ...o, name: strip(o.name) })),
    initializer: g.initializer.filter((t) => own(t.name)).map((t) => ({ ...t, name: strip(t.name) })),
    valueInfo: g.valueInfo.filter((v) => own(v.name)).map((v) => ({ ...v, name: strip(v.name) })),
    node: g.node.filter((n) => n.output.some(own)).map((n) => ({ ...n, name: strip(n.name), input: n.input.map(strip), output: n.output.map(strip) })),
  });
  return { ...model, graph };
}
