/**
 * Y = X * max(0, min(1, X/6 + 1/2)) (opset 14): dX = 0 for X < -3, dY * (X/3 + 1/2) for
 * -3 <= X <= 3, dY for X > 3 — PyTorch's hardswish_backward, kinks included.
 */
import type { GradientRule } from '../rule.js';

export const HardSwishGrad: GradientRule = {
  backward: ({ b, input, gradOutput }) => {
    const X = input(0);
    const dY = gradOutput(0)!;
    const middle = b.mul(dY, b.add(b.scale(X, 1 / 3), b.constFloat(0.5)));
    const upper = b.where(b.op('Greater', [X, b.constFloat(3)]), dY, middle);
    return [b.where(b.op('Less', [X, b.constFloat(-3)]), b.constFloat(0), upper)];
  },
};
