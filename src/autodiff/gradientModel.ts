/**
 * A model whose outputs are a loss and its gradients: forward graph + backward nodes, for checking
 * gradients and for anything that needs input gradients (attacks, saliency, Wanda-style statistics).
 */
import { Graph } from '../onnx/graph.js';
import { newGraph, newModel, newNode, newValueInfo, int64ToNumber, type ModelProto } from '../onnx/proto.js';
import type { Feeds } from '../runtime/session.js';
import { inferShapes } from '../runtime/shapeInference.js';
import { differentiate } from './engine.js';
import { registerAllGradients } from './registerAll.js';

export interface GradientModel {
  model: ModelProto;
  /** Gradient output name by the value it differentiates with respect to. */
  gradientOutputs: Map<string, string>;
}

/** The default-domain opset a model imports. */
export function defaultOpset(model: ModelProto): number {
  const entry = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  return entry ? int64ToNumber(entry.version) : 1;
}

/** Deep-enough copy for adding nodes without touching the caller's model (tensors are shared). */
export function cloneForEditing(model: ModelProto): ModelProto {
  const g = model.graph!;
  // Through the message constructors, so unset fields keep their proto defaults (domain '' etc.):
  // a spread copies only a decoded message's own properties.
  return newModel({
    ...model,
    graph: newGraph({
      ...g,
      node: g.node.map((n) => newNode({ ...n, input: [...n.input], output: [...n.output] })),
      initializer: [...g.initializer],
      input: [...g.input],
      output: [...g.output],
      valueInfo: [...g.valueInfo],
    }),
  });
}

/**
 * Differentiate `loss` (a value of `model`, computed by the caller's extra nodes if needed) with
 * respect to `wrt`, for the input shapes of `feeds`. Outputs: the loss, then one gradient per wrt.
 */
export async function buildGradientModel(model: ModelProto, loss: string, wrt: readonly string[], feeds: Feeds): Promise<GradientModel> {
  registerAllGradients();
  const copy = cloneForEditing(model);
  const graph = new Graph(copy.graph!);
  const shapes = await inferShapes(copy, feeds);
  const gradients = differentiate({ graph, loss, wrt, shapes, opset: defaultOpset(copy) });
  const gradientOutputs = new Map<string, string>();
  copy.graph!.output = [newValueInfo({ name: loss })];
  for (const [name, gradient] of gradients) {
    // A graph output may not also be a graph input or initializer name; route through Identity.
    const out = graph.uniqueName(`grad.${name}`);
    graph.addNode({ opType: 'Identity', inputs: [gradient], outputs: [out] });
    copy.graph!.output.push(newValueInfo({ name: out }));
    gradientOutputs.set(name, out);
  }
  graph.sortNodes();
  return { model: copy, gradientOutputs };
}
