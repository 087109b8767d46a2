/**
 * The prunable layers of a model: each weight a declared op reads, with a row/column view of it
 * (rows = output units, columns = the inputs of one unit) that scorers and mask selection share.
 */
import { Graph } from '../onnx/graph.js';
import { listParameters } from '../onnx/parameters.js';
import type { ModelProto } from '../onnx/proto.js';
import { readFloat32 } from '../onnx/tensor.js';
import { prunableOps, registerPrunableOps, type WeightLayout } from './prunableOps.js';

export interface PrunableLayer {
  /** The weight's parameter name. */
  name: string;
  /** The node that reads it (the first declared one, where a weight is shared). */
  node: string;
  opType: string;
  dims: number[];
  layout: WeightLayout;
  /** The activation value the weight multiplies (Wanda's X). */
  activation: string;
  rows: number;
  cols: number;
  /** Flat weight index of view element (row r, column c) at r * cols + c. */
  order: Uint32Array;
  /** Index along `layout.featureWeightAxis` of each column. */
  columnFeature: Uint32Array;
}

function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1]! * dims[i + 1]!;
  return s;
}

function viewOf(dims: readonly number[], layout: WeightLayout): Pick<PrunableLayer, 'rows' | 'cols' | 'order' | 'columnFeature'> {
  const stride = strides(dims);
  const rows = dims[layout.outputAxis]!;
  const axes = layout.inputAxes;
  const cols = axes.reduce((n, a) => n * dims[a]!, 1);
  // Flat offset and feature index of each column (the last input axis fastest).
  const columnOffset = new Uint32Array(cols);
  const columnFeature = new Uint32Array(cols);
  for (let c = 0; c < cols; c++) {
    let rest = c;
    let offset = 0;
    for (let k = axes.length - 1; k >= 0; k--) {
      const size = dims[axes[k]!]!;
      const index = rest % size;
      rest = Math.floor(rest / size);
      offset += index * stride[axes[k]!]!;
      if (axes[k] === layout.featureWeightAxis) columnFeature[c] = index;
    }
    columnOffset[c] = offset;
  }
  const order = new Uint32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) order[r * cols + c] = r * stride[layout.outputAxis]! + columnOffset[c]!;
  return { rows, cols, order, columnFeature };
}

export function findPrunableLayers(model: ModelProto): PrunableLayer[] {
  registerPrunableOps();
  const graph = new Graph(model.graph!);
  const parameters = new Map(listParameters(graph).map((p) => [p.name, p]));
  const layers: PrunableLayer[] = [];
  const seen = new Set<string>();
  for (const node of graph.nodes) {
    const declare = node.domain ? undefined : prunableOps.find(node.opType);
    if (!declare) continue;
    for (const [index, input] of node.input.entries()) {
      const parameter = parameters.get(input);
      if (!parameter || seen.has(input)) continue;
      const layout = declare(node, parameter.dims);
      if (!layout || layout.weightInput !== index) continue;
      seen.add(input);
      layers.push({ name: input, node: node.name, opType: node.opType, dims: [...parameter.dims], layout, activation: node.input[layout.activation.input]!, ...viewOf(parameter.dims, layout) });
    }
  }
  return layers;
}

/** The current values of each layer's weight, by name (copies). */
export function readLayerWeights(model: ModelProto, layers: readonly PrunableLayer[]): Map<string, Float32Array> {
  const parameters = new Map(listParameters(new Graph(model.graph!)).map((p) => [p.name, p]));
  return new Map(layers.map((l) => [l.name, readFloat32(parameters.get(l.name)!.tensor)]));
}
