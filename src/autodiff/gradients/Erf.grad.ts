/** Y = erf(X): dX = dY * 2/sqrt(pi) * exp(-X*X). */
import type { GradientRule } from '../rule.js';

export const ErfGrad: GradientRule = {
  backward: ({ b, input, gradOutput }) => {
    const X = input(0);
    const density = b.exp(b.neg(b.mul(X, X)));
    return [b.mul(gradOutput(0)!, b.scale(density, 2 / Math.sqrt(Math.PI)))];
  },
};
