/**
 * What a model asks of its data: the per-sample dims its first data input declares, so a source
 * can be loaded in that layout (MNIST flat [784] for an MLP, [1, 28, 28] for a conv net).
 */
import { Graph } from '../onnx/graph.js';
import type { ModelProto } from '../onnx/proto.js';

/** Per-sample dims of the model's first data input, or null when some are symbolic or absent. */
export function modelInputDims(model: ModelProto): number[] | null {
  const input = new Graph(model.graph!).dataInputs[0];
  const dims = input?.type?.tensorType?.shape?.dim;
  if (!input || !dims || dims.length < 2) return null;
  const sample = dims.slice(1).map((d) => (d.dimValue !== undefined && !d.dimParam ? Number(d.dimValue) : NaN));
  return sample.every((d) => Number.isInteger(d) && d > 0) ? sample : null;
}
