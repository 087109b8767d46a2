/** Y = A / B: dA = dY / B, dB = -dY * Y / B. */
import type { GradientRule } from '../rule.js';

export const DivGrad: GradientRule = {
  broadcastInputs: 'all',
  backward: ({ b, input, output, gradOutput, needsGradient }) => {
    const dY = gradOutput(0)!;
    const dA = b.div(dY, input(1));
    return [needsGradient(0) ? dA : undefined, needsGradient(1) ? b.neg(b.mul(dA, output(0))) : undefined];
  },
};
