/**
 * Low-rank factorization: each chosen layer's weight W [out, in] = U S V^T (svd.ts) is cut to rank r
 * and written as two layers, W ~ (U_r sqrt(S_r)) (sqrt(S_r) V_r^T), the input projection first. A
 * layer is only split when the two factors are smaller than W (r (in + out) < in * out). The report
 * holds each layer's whole spectrum and the rank chosen.
 */
import { cloneForEditing } from '../autodiff/gradientModel.js';
import { Graph } from '../onnx/graph.js';
import { decodeModel, encodeModel } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { layerReaders, type FactorizableLayer } from './layers.js';
import { chooseRank, retainedEnergy, type RankPolicy } from './rank.js';
import { svd } from './svd.js';

export interface LayerFactorization {
  node: string;
  opType: string;
  parameter: string;
  /** [out, in] of the matrix factorized. */
  shape: [number, number];
  /** Singular values, largest first. */
  spectrum: number[];
  rank: number;
  fullRank: number;
  energy: number;
  paramsBefore: number;
  paramsAfter: number;
  /** False when the factors would not be smaller than the weight (the layer is left as is). */
  factorized: boolean;
}

export interface FactorizeOptions {
  policy: RankPolicy;
  /** Node names to consider; all factorizable layers otherwise. */
  layers?: readonly string[];
  /** Split only layers whose factors are smaller than the weight (default true). */
  onlyIfSmaller?: boolean;
}

export interface FactorizeResult {
  model: ModelProto;
  layers: LayerFactorization[];
}

export function factorizeModel(model: ModelProto, options: FactorizeOptions): FactorizeResult {
  const copy = cloneForEditing(model);
  const graph = new Graph(copy.graph!);
  const wanted = options.layers ? new Set(options.layers) : undefined;
  const layers: FactorizableLayer[] = [];
  for (const node of graph.nodes) {
    if (node.domain || (wanted && !wanted.has(node.name))) continue;
    const layer = layerReaders.find(node.opType)?.(node, graph);
    if (layer && layer.rows > 1 && layer.cols > 1) layers.push(layer);
  }
  const report: LayerFactorization[] = [];
  for (const layer of layers) {
    const { rows, cols } = layer;
    const d = svd(layer.matrix, rows, cols);
    const k = d.s.length;
    const rank = chooseRank(d.s, rows, cols, options.policy);
    const factorized = options.onlyIfSmaller === false || rank * (rows + cols) < rows * cols;
    report.push({
      node: layer.node.name, opType: layer.node.opType, parameter: layer.parameter, shape: [rows, cols],
      spectrum: Array.from(d.s), rank, fullRank: k, energy: retainedEnergy(d.s, rank),
      paramsBefore: rows * cols, paramsAfter: factorized ? rank * (rows + cols) : rows * cols, factorized,
    });
    if (!factorized) continue;
    const first = new Float32Array(rank * cols); // sqrt(S) V^T  [r, in]
    const second = new Float32Array(rows * rank); // U sqrt(S)   [out, r]
    for (let j = 0; j < rank; j++) {
      const root = Math.sqrt(d.s[j]!);
      for (let i = 0; i < cols; i++) first[j * cols + i] = root * d.v[i * k + j]!;
      for (let i = 0; i < rows; i++) second[i * rank + j] = root * d.u[i * k + j]!;
    }
    layer.rewrite(graph, first, second, rank);
    graph.removeInitializer(layer.parameter);
  }
  // Transposes that fed a factorized weight are dead now.
  const live = new Set<string>(graph.outputs.map((o) => o.name));
  for (const node of [...graph.topologicalOrder()].reverse()) {
    if (node.output.some((o) => live.has(o))) node.input.forEach((i) => live.add(i));
    else graph.removeNode(node);
  }
  graph.sortNodes();
  return { model: decodeModel(encodeModel(copy)), layers: report };
}
