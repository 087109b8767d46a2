/** Y = exp(X): dX = dY * Y. */
import type { GradientRule } from '../rule.js';

export const ExpGrad: GradientRule = {
  backward: ({ b, output, gradOutput }) => [b.mul(gradOutput(0)!, output(0))],
};
