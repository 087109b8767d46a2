/** Y = 1 / (1 + exp(-X)): dX = dY * Y * (1 - Y). */
import type { GradientRule } from '../rule.js';

export const SigmoidGrad: GradientRule = {
  backward: ({ b, output, gradOutput }) => {
    const Y = output(0);
    return [b.mul(gradOutput(0)!, b.mul(Y, b.sub(b.constFloat(1), Y)))];
  },
};
