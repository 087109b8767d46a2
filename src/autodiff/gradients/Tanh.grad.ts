/** Y = tanh(X): dX = dY * (1 - Y*Y). */
import type { GradientRule } from '../rule.js';

export const TanhGrad: GradientRule = {
  backward: ({ b, output, gradOutput }) => {
    const Y = output(0);
    return [b.mul(gradOutput(0)!, b.sub(b.constFloat(1), b.mul(Y, Y)))];
  },
};
