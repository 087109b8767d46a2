/** Y = A * B: dA = dY * B, dB = dY * A. */
import type { GradientRule } from '../rule.js';

export const MulGrad: GradientRule = {
  broadcastInputs: 'all',
  backward: ({ b, input, gradOutput, needsGradient }) => {
    const dY = gradOutput(0)!;
    return [
      needsGradient(0) ? b.mul(dY, input(1)) : undefined,
      needsGradient(1) ? b.mul(dY, input(0)) : undefined,
    ];
  },
};
