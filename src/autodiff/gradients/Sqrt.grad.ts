/** Y = sqrt(X): dX = dY / (2 * Y). */
import type { GradientRule } from '../rule.js';

export const SqrtGrad: GradientRule = {
  backward: ({ b, output, gradOutput }) => [b.div(gradOutput(0)!, b.scale(output(0), 2))],
};
