/**
 * Folding masks into a model: each masked weight is written as W ⊙ M where the model stores it
 * (initializer or Constant node). The rest of the model (dropout included) is untouched, so the
 * result can be trained further or exported as is.
 */
import { cloneForEditing } from '../autodiff/gradientModel.js';
import { Graph } from '../onnx/graph.js';
import { listParameters } from '../onnx/parameters.js';
import type { ModelProto } from '../onnx/proto.js';
import { makeTensor, readFloat32, tensorDims } from '../onnx/tensor.js';
import { RetortError } from '../util/errors.js';

/** The model with the given parameter values written in (new tensors: the source model is unchanged). */
export function withParameterValues(model: ModelProto, values: ReadonlyMap<string, Float32Array>): ModelProto {
  const copy = cloneForEditing(model);
  const graph = copy.graph!;
  const written = new Set<string>();
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
  if (missing.length > 0) throw new RetortError('UNKNOWN_KEY', `The model holds no parameter named ${missing.map((m) => `"${m}"`).join(', ')}`);
  return copy;
}

export function applyMasks(model: ModelProto, masks: ReadonlyMap<string, Float32Array>): ModelProto {
  const parameters = new Map(listParameters(new Graph(model.graph!)).map((p) => [p.name, p]));
  const values = new Map<string, Float32Array>();
  for (const [name, mask] of masks) {
    const parameter = parameters.get(name);
    if (!parameter) throw new RetortError('UNKNOWN_KEY', `Mask for "${name}": the model has no such parameter. Parameters: ${[...parameters.keys()].join(', ')}`);
    const weights = Float32Array.from(readFloat32(parameter.tensor));
    if (mask.length !== weights.length) throw new RetortError('BAD_ARGUMENT', `Mask for "${name}" has ${mask.length} values, the parameter [${parameter.dims.join(',')}] has ${weights.length}`);
    // +0 where pruned (w * 0 would give -0 for negative w, which gzip and sparse encodings see as nonzero bytes).
    for (let i = 0; i < weights.length; i++) if (mask[i] === 0) weights[i] = 0;
    values.set(name, weights);
  }
  return withParameterValues(model, values);
}
