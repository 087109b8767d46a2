/** Walks every tensor a model stores: initializers, Constant and other tensor attributes, subgraphs, functions. */
import type { GraphProto, ModelProto, NodeProto, TensorProto } from './proto.js';

export function forEachTensor(model: ModelProto, visit: (tensor: TensorProto) => void): void {
  if (model.graph) forEachGraphTensor(model.graph, visit);
  for (const fn of model.functions ?? []) for (const node of fn.node) forEachNodeTensor(node, visit);
}

export function forEachGraphTensor(graph: GraphProto, visit: (tensor: TensorProto) => void): void {
  for (const t of graph.initializer) visit(t);
  for (const s of graph.sparseInitializer) {
    if (s.values) visit(s.values);
    if (s.indices) visit(s.indices);
  }
  for (const node of graph.node) forEachNodeTensor(node, visit);
}

function forEachNodeTensor(node: NodeProto, visit: (tensor: TensorProto) => void): void {
  for (const a of node.attribute) {
    if (a.t) visit(a.t);
    for (const t of a.tensors) visit(t);
    if (a.g) forEachGraphTensor(a.g, visit);
    for (const g of a.graphs) forEachGraphTensor(g, visit);
  }
}
