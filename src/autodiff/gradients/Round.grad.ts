/**
 * Y = round(X): the true derivative is zero almost everywhere, which would stop training through any
 * quantizer, so the rule is the straight-through estimator dX = dY (Bengio, Léonard & Courville 2013;
 * the convention of quantization-aware training in TensorFlow and PyTorch). Saturation is a separate
 * Clip, whose own rule zeroes the gradient outside the representable range (the "clipped" STE).
 */
import type { GradientRule } from '../rule.js';

export const RoundGrad: GradientRule = {
  backward: ({ gradOutput }) => [gradOutput(0)],
};
