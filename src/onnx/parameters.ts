/**
 * Parameters: float tensors with more than one element, stored as initializers or as Constant nodes
 * (some exporters do the latter). Scalars (epsilons, exponents, scales) are hyperparameters of an op,
 * not weights, and are left out.
 */
import { RetortError } from '../util/errors.js';
import { DataType } from './dtype.js';
import type { Graph } from './graph.js';
import type { NodeProto, TensorProto } from './proto.js';
import { elementCount, readFloat32, tensorDims, writeTensor } from './tensor.js';

export interface Parameter {
  /** The value name consumers read (initializer name, or the Constant node's output). */
  name: string;
  dims: number[];
  storage: 'initializer' | 'constant';
  tensor: TensorProto;
  /** For Constant-node storage, the node holding it. */
  node?: NodeProto;
}

function isWeight(tensor: TensorProto): boolean {
  return tensor.dataType === DataType.FLOAT && elementCount(tensorDims(tensor)) > 1;
}

export function listParameters(graph: Graph): Parameter[] {
  const params: Parameter[] = [];
  for (const tensor of graph.proto.initializer) {
    if (isWeight(tensor)) params.push({ name: tensor.name, dims: tensorDims(tensor), storage: 'initializer', tensor });
  }
  for (const node of graph.nodes) {
    if (node.opType !== 'Constant' || node.domain) continue;
    const value = node.attribute.find((a) => a.name === 'value')?.t;
    if (value && isWeight(value)) params.push({ name: node.output[0]!, dims: tensorDims(value), storage: 'constant', tensor: value, node });
  }
  return params;
}

export function parameterCount(graph: Graph): number {
  return listParameters(graph).reduce((n, p) => n + elementCount(p.dims), 0);
}

function findParameter(graph: Graph, name: string): Parameter {
  const all = listParameters(graph);
  const found = all.find((p) => p.name === name);
  if (!found) {
    throw new RetortError('UNKNOWN_KEY', `No parameter "${name}". Parameters: ${all.map((p) => p.name).join(', ')}`);
  }
  return found;
}

export function readParameter(graph: Graph, name: string): Float32Array {
  return readFloat32(findParameter(graph, name).tensor);
}

export function writeParameter(graph: Graph, name: string, values: Float32Array): void {
  writeTensor(findParameter(graph, name).tensor, values);
}
