/** Y = max(X, 0): dX = dY where Y > 0 (PyTorch's convention: zero gradient at 0). */
import type { GradientRule } from '../rule.js';

export const ReluGrad: GradientRule = {
  backward: ({ b, output, gradOutput }) => {
    const positive = b.op('Greater', [output(0), b.constFloat(0)]);
    return [b.op('Where', [positive, gradOutput(0)!, b.constFloat(0)])];
  },
};
