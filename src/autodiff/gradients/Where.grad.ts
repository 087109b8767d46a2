/** Y = where(C, A, B): dA = dY where C, dB = dY where not C; C is a mask, with no gradient. */
import type { GradientRule } from '../rule.js';

export const WhereGrad: GradientRule = {
  nonDifferentiableInputs: [0],
  broadcastInputs: 'all',
  backward: ({ b, input, gradOutput, needsGradient }) => {
    const [C, dY, zero] = [input(0), gradOutput(0)!, b.constFloat(0)];
    return [undefined, needsGradient(1) ? b.where(C, dY, zero) : undefined, needsGradient(2) ? b.where(C, zero, dY) : undefined];
  },
};
