/**
 * Parameter counts for the cost table: the float parameters src/onnx/parameters.ts lists, plus
 * layer weights the file stores in another form (int8 under DequantizeLinear, MatMulNBits' packed
 * codes), each tensor counted once. Non-zero counts what pruning removed.
 */
import { Graph } from '../../onnx/graph.js';
import { listParameters } from '../../onnx/parameters.js';
import type { ModelProto, TensorProto } from '../../onnx/proto.js';
import { readFloat32 } from '../../onnx/tensor.js';
import type { WeightedLayer } from './layers.js';

export interface ParameterCounts {
  parameters: number;
  nonZeroParameters: number;
}

export function countParameters(model: ModelProto, layers: readonly WeightedLayer[]): ParameterCounts {
  // By identity: a Constant node's tensor may have no name of its own.
  const counted = new Set<TensorProto>();
  let parameters = 0;
  let nonZero = 0;
  for (const p of listParameters(new Graph(model.graph!))) {
    const values = readFloat32(p.tensor);
    counted.add(p.tensor);
    parameters += values.length;
    for (const v of values) if (v !== 0) nonZero++;
  }
  for (const { weight } of layers) {
    const stored = weight.tensors[0]!;
    if (counted.has(stored)) continue;
    counted.add(stored);
    parameters += weight.elements;
    // Where zeros cannot be read, every element counts as non-zero: the count never flatters.
    nonZero += weight.elements - (weight.zeros ?? 0);
  }
  return { parameters, nonZeroParameters: nonZero };
}
