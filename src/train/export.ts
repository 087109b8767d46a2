/**
 * The trained inference model: the original model (not the training graph) with new parameter and
 * running-statistic values written where the model stores them (initializers or Constant nodes),
 * and Dropout removed (it is the identity at inference). Loads in plain ORT.
 */
import { cloneForEditing } from '../autodiff/gradientModel.js';
import { Graph } from '../onnx/graph.js';
import type { ModelProto } from '../onnx/proto.js';
import { makeTensor, tensorDims } from '../onnx/tensor.js';
import { RetortError } from '../util/errors.js';

/** `values` by parameter (or running-statistic) name; names the model does not hold are an error. */
export function exportInferenceModel(model: ModelProto, values: ReadonlyMap<string, Float32Array>): ModelProto {
  const copy = withParameterValues(model, values, 'Cannot export: the model');
  removeDropout(new Graph(copy.graph!));
  return copy;
}

/**
 * The model with the given parameter values written where it stores them (initializers or Constant
 * nodes); everything else, Dropout included, is untouched. `subject` starts the error naming the
 * values the model does not hold.
 */
export function withParameterValues(model: ModelProto, values: ReadonlyMap<string, Float32Array>, subject = 'The model'): ModelProto {
  const copy = cloneForEditing(model);
  const graph = copy.graph!;
  const written = new Set<string>();
  // New tensor objects: cloneForEditing shares tensors with the source model, which must not change.
  graph.initializer = graph.initializer.map((t) => {
    const value = values.get(t.name);
    if (!value) return t;
    written.add(t.name);
    return makeTensor(t.name, tensorDims(t), value);
  });
  for (const node of graph.node) {
    const value = node.opType === 'Constant' && !node.domain ? values.get(node.output[0]!) : undefined;
    if (!value) continue;
    node.attribute = node.attribute.map((a) => (a.name === 'value' && a.t ? { ...a, t: makeTensor(a.t.name, tensorDims(a.t), value) } : a));
    written.add(node.output[0]!);
  }
  const missing = [...values.keys()].filter((name) => !written.has(name));
  if (missing.length > 0) throw new RetortError('UNKNOWN_KEY', `${subject} holds no parameter named ${missing.map((m) => `"${m}"`).join(', ')}`);
  return copy;
}

/** Dropout nodes rewired away; one whose output is a graph output becomes an Identity. */
export function removeDropout(graph: Graph): void {
  const removed = new Set<string>();
  for (const node of graph.nodes.filter((n) => n.opType === 'Dropout' && !n.domain)) {
    const [x, y] = [node.input[0]!, node.output[0]!];
    if (graph.isGraphOutput(y)) {
      graph.replaceNode(node, [{ ...node, opType: 'Identity', input: [x], output: [y], attribute: [] }]);
      continue;
    }
    graph.removeNode(node);
    node.output.forEach((o) => removed.add(o));
    for (const consumer of graph.consumersOf(y)) consumer.input = consumer.input.map((i) => (i === y ? x : i));
    graph.touch();
  }
  graph.proto.valueInfo = graph.proto.valueInfo.filter((v) => !removed.has(v.name));
}
