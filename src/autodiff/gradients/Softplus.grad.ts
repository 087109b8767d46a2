/** Y = ln(1 + exp(X)): dX = dY * sigmoid(X). */
import type { GradientRule } from '../rule.js';

export const SoftplusGrad: GradientRule = {
  backward: ({ b, input, gradOutput }) => [b.mul(gradOutput(0)!, b.op('Sigmoid', [input(0)]))],
};
