/** Y = 1 / X: dX = -dY * Y * Y. */
import type { GradientRule } from '../rule.js';

export const ReciprocalGrad: GradientRule = {
  backward: ({ b, output, gradOutput }) => {
    const Y = output(0);
    return [b.neg(b.mul(gradOutput(0)!, b.mul(Y, Y)))];
  },
};
