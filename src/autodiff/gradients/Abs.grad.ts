/** Y = |X|: dX = dY * sign(X), so zero gradient at 0 (PyTorch's convention). */
import type { GradientRule } from '../rule.js';

export const AbsGrad: GradientRule = {
  backward: ({ b, input, gradOutput }) => [b.mul(gradOutput(0)!, b.op('Sign', [input(0)]))],
};
