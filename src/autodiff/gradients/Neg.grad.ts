/** Y = -X: dX = -dY. */
import type { GradientRule } from '../rule.js';

export const NegGrad: GradientRule = {
  backward: ({ b, gradOutput }) => [b.neg(gradOutput(0)!)],
};
