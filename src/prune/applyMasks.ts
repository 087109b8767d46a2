/**
 * Folding masks into a model: each masked weight is written as W ⊙ M where the model stores it
 * (initializer or Constant node). The rest of the model (dropout included) is untouched, so the
 * result can be trained further or exported as is.
 */
import { Graph } from '../onnx/graph.js';
import { listParameters } from '../onnx/parameters.js';
import type { ModelProto } from '../onnx/proto.js';
import { readFloat32 } from '../onnx/tensor.js';
import { withParameterValues } from '../train/export.js';
import { RetortError } from '../util/errors.js';

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
