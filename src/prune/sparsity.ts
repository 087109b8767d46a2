/** Sparsity as measured in a model: zeros per prunable layer, over the prunable weights, and over all parameters. */
import { Graph } from '../onnx/graph.js';
import { listParameters } from '../onnx/parameters.js';
import type { ModelProto } from '../onnx/proto.js';
import { readFloat32 } from '../onnx/tensor.js';
import { findPrunableLayers } from './layers.js';

export interface SparsityCount {
  count: number;
  zeros: number;
  sparsity: number;
}

export interface SparsityReport {
  layers: (SparsityCount & { name: string; opType: string; dims: number[] })[];
  /** Over the prunable weights (Gemm/MatMul/Conv weights). */
  prunable: SparsityCount;
  /** Over every parameter (biases and normalization included). */
  all: SparsityCount;
}

function count(values: Float32Array): SparsityCount {
  let zeros = 0;
  for (const v of values) if (v === 0) zeros++;
  return { count: values.length, zeros, sparsity: values.length === 0 ? 0 : zeros / values.length };
}

function sum(counts: readonly SparsityCount[]): SparsityCount {
  const c = counts.reduce((n, x) => n + x.count, 0);
  const z = counts.reduce((n, x) => n + x.zeros, 0);
  return { count: c, zeros: z, sparsity: c === 0 ? 0 : z / c };
}

export function sparsityReport(model: ModelProto): SparsityReport {
  const parameters = listParameters(new Graph(model.graph!));
  const byName = new Map(parameters.map((p) => [p.name, p]));
  const layers = findPrunableLayers(model).map((l) => ({ name: l.name, opType: l.opType, dims: l.dims, ...count(readFloat32(byName.get(l.name)!.tensor)) }));
  return { layers, prunable: sum(layers), all: sum(parameters.map((p) => count(readFloat32(p.tensor)))) };
}
