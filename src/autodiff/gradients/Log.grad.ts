/** Y = ln(X): dX = dY / X. */
import type { GradientRule } from '../rule.js';

export const LogGrad: GradientRule = {
  backward: ({ b, input, gradOutput }) => [b.div(gradOutput(0)!, input(0))],
};
