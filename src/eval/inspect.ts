/**
 * What a model is made of, as one plain object: format versions, interface, op histogram, stored
 * tensors and parameters, and (when shapes were inferred) MACs. Pure: no I/O, no ORT; the caller
 * runs shape inference (inferModelShapes) and passes the shapes in.
 */
import { dataTypeName } from '../onnx/dtype.js';
import { Graph } from '../onnx/graph.js';
import { listParameters } from '../onnx/parameters.js';
import { int64ToNumber, type GraphProto, type ModelProto, type TypeProto, type ValueInfoProto, type TensorProto } from '../onnx/proto.js';
import { elementCount, tensorByteLength, tensorDims } from '../onnx/tensor.js';
import { RetortError } from '../util/errors.js';
import { macsFromShapes, type InferredShapes, type MacsSummary } from './macs.js';

/** Code-unit order, so output does not depend on the machine's locale. */
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export interface OpsetSummary {
  /** 'ai.onnx' for the default domain. */
  domain: string;
  version: number;
}

export interface ValueSummary {
  name: string;
  /** Element type name ('float', 'int64'), or the kind for non-tensor types ('sequence', 'map'). */
  dtype: string;
  /** Declared dims: numbers, symbolic names as written, '?' for unnamed unknown dims; null when no shape is declared. */
  dims: (number | string)[] | null;
}

export interface OpCount {
  /** Op type, prefixed `domain:` outside the default domain (e.g. 'com.microsoft:Gelu'). */
  opType: string;
  count: number;
}

export type TensorStorage = 'initializer' | 'constant' | 'attribute' | 'sparse';

export interface StoredTensorSummary {
  name: string;
  storage: TensorStorage;
  dtype: string;
  dims: number[];
  bytes: number;
}

export interface DtypeTotals {
  dtype: string;
  tensors: number;
  elements: number;
  bytes: number;
}

export interface InspectionSummary {
  irVersion: number;
  producer: { name: string; version: string };
  opsets: OpsetSummary[];
  inputs: ValueSummary[];
  outputs: ValueSummary[];
  /** Nodes in the main graph and in all subgraphs. */
  nodeCount: number;
  /** Sorted by count, most frequent first, ties by name. */
  opHistogram: OpCount[];
  /** Parameters as src/onnx/parameters.ts defines them (main graph float tensors of > 1 element). */
  parameters: { tensors: number; count: number; bytes: number };
  /** Every tensor the file stores (initializers, Constant values, other tensor attributes, subgraphs), by dtype. */
  storedTensors: { byDtype: DtypeTotals[]; tensors: number; bytes: number };
  /** The `top` largest stored tensors by bytes. */
  largestTensors: StoredTensorSummary[];
  macs: MacsSummary | null;
}

export interface InspectOptions {
  /** Value shapes for one set of input shapes (inferModelShapes); without them there are no MACs. */
  shapes?: InferredShapes | null;
  /** How many of the largest tensors to list; default 10. */
  top?: number;
}

const domainName = (domain: string): string => (domain === '' ? 'ai.onnx' : domain);
const isDefaultDomain = (domain: string): boolean => domain === '' || domain === 'ai.onnx';

function typeSummary(type: TypeProto | null | undefined): Pick<ValueSummary, 'dtype' | 'dims'> {
  const tensor = type?.tensorType ?? type?.sparseTensorType;
  if (tensor) {
    const dims = tensor.shape
      ? tensor.shape.dim.map((d) => (d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null ? int64ToNumber(d.dimValue) : '?'))
      : null;
    return { dtype: dataTypeName(tensor.elemType), dims };
  }
  if (type?.sequenceType) return { dtype: 'sequence', dims: null };
  if (type?.mapType) return { dtype: 'map', dims: null };
  if (type?.optionalType) return { dtype: 'optional', dims: null };
  return { dtype: 'unknown', dims: null };
}

const valueSummary = (v: ValueInfoProto): ValueSummary => ({ name: v.name, ...typeSummary(v.type) });

function* subgraphsOf(graph: GraphProto): Generator<GraphProto> {
  for (const node of graph.node) {
    for (const a of node.attribute) {
      for (const g of a.g ? [a.g, ...a.graphs] : a.graphs) {
        yield g;
        yield* subgraphsOf(g);
      }
    }
  }
}

function opHistogram(graphs: readonly GraphProto[]): { nodeCount: number; histogram: OpCount[] } {
  const counts = new Map<string, number>();
  let nodeCount = 0;
  for (const g of graphs) {
    for (const node of g.node) {
      const key = isDefaultDomain(node.domain) ? node.opType : `${node.domain}:${node.opType}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      nodeCount += 1;
    }
  }
  const histogram = [...counts].map(([opType, count]) => ({ opType, count }));
  histogram.sort((a, b) => b.count - a.count || byName(a.opType, b.opType));
  return { nodeCount, histogram };
}

/** Stored bytes; types without a fixed element size (UNDEFINED) fall back to the raw bytes present. */
function bytesOf(tensor: TensorProto): number {
  try {
    return tensorByteLength(tensor);
  } catch {
    return tensor.rawData?.byteLength ?? 0;
  }
}

function storedTensors(graphs: readonly GraphProto[]): StoredTensorSummary[] {
  const out: StoredTensorSummary[] = [];
  const add = (name: string, storage: TensorStorage, t: TensorProto): void => {
    out.push({ name, storage, dtype: dataTypeName(t.dataType), dims: tensorDims(t), bytes: bytesOf(t) });
  };
  for (const g of graphs) {
    for (const t of g.initializer) add(t.name, 'initializer', t);
    for (const s of g.sparseInitializer) if (s.values) add(s.values.name, 'sparse', s.values);
    for (const node of g.node) {
      const label = node.name || node.output[0] || node.opType;
      // A Constant's tensor is known by the value it produces; other attributes by node.attribute.
      const isConstant = node.opType === 'Constant' && isDefaultDomain(node.domain);
      for (const a of node.attribute) {
        if (a.t) add(isConstant ? node.output[0] ?? label : `${label}.${a.name}`, isConstant ? 'constant' : 'attribute', a.t);
        a.tensors.forEach((t, i) => add(`${label}.${a.name}[${i}]`, 'attribute', t));
      }
    }
  }
  return out;
}

function totalsByDtype(tensors: readonly StoredTensorSummary[]): DtypeTotals[] {
  const byDtype = new Map<string, DtypeTotals>();
  for (const t of tensors) {
    const entry = byDtype.get(t.dtype) ?? { dtype: t.dtype, tensors: 0, elements: 0, bytes: 0 };
    entry.tensors += 1;
    entry.elements += elementCount(t.dims);
    entry.bytes += t.bytes;
    byDtype.set(t.dtype, entry);
  }
  return [...byDtype.values()].sort((a, b) => b.bytes - a.bytes || byName(a.dtype, b.dtype));
}

export function inspectModel(model: ModelProto, options: InspectOptions = {}): InspectionSummary {
  const main = model.graph;
  if (!main) throw new RetortError('GRAPH_INVALID', 'The model has no graph to inspect');
  const graph = new Graph(main);
  const graphs = [main, ...subgraphsOf(main)];
  const { nodeCount, histogram } = opHistogram(graphs);
  const tensors = storedTensors(graphs);
  const params = listParameters(graph);
  const largest = [...tensors].sort((a, b) => b.bytes - a.bytes || byName(a.name, b.name)).slice(0, options.top ?? 10);
  return {
    irVersion: int64ToNumber(model.irVersion),
    producer: { name: model.producerName, version: model.producerVersion },
    opsets: model.opsetImport.map((o) => ({ domain: domainName(o.domain), version: int64ToNumber(o.version) })),
    inputs: graph.dataInputs.map(valueSummary),
    outputs: main.output.map(valueSummary),
    nodeCount,
    opHistogram: histogram,
    parameters: {
      tensors: params.length,
      count: params.reduce((n, p) => n + elementCount(p.dims), 0),
      bytes: params.reduce((n, p) => n + bytesOf(p.tensor), 0),
    },
    storedTensors: { byDtype: totalsByDtype(tensors), tensors: tensors.length, bytes: tensors.reduce((n, t) => n + t.bytes, 0) },
    largestTensors: largest,
    macs: options.shapes ? macsFromShapes(model, options.shapes) : null,
  };
}
