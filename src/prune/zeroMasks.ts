/**
 * The masks a pruned model implies: for each prunable weight (the Gemm/MatMul/Conv weights that
 * findPrunableLayers declares) holding exact zeros, 1 where the weight is non-zero and 0 where it is
 * zero. Training further with these masks in the graph keeps the pruned weights at zero (Han et al.
 * 2015 retrain this way), whatever pruned them, even a model pruned by another tool. Biases and
 * normalization parameters are never masked: a bias that happens to start at zero is not pruned.
 */
import type { ModelProto } from '../onnx/proto.js';
import { findPrunableLayers, readLayerWeights } from './layers.js';
import type { Masks } from './masks.js';

/** Masks of the prunable weights that hold at least one exact zero (weights without zeros get none). */
export function masksFromZeros(model: ModelProto): Masks {
  const masks: Masks = new Map();
  for (const [name, weights] of readLayerWeights(model, findPrunableLayers(model))) {
    if (!weights.includes(0)) continue;
    masks.set(name, Float32Array.from(weights, (w) => (w === 0 ? 0 : 1)));
  }
  return masks;
}
