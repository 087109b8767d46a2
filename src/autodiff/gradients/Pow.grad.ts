/**
 * Y = A^B: dA = dY * B * A^(B-1), dB = dY * Y * ln(A). As in PyTorch's pow_backward, dA is 0 where
 * B == 0 and dB is 0 where A == 0 and B >= 0 (both would otherwise be 0 * inf = NaN).
 */
import type { GradientRule } from '../rule.js';

export const PowGrad: GradientRule = {
  broadcastInputs: 'all',
  backward: ({ b, input, output, gradOutput, needsGradient, constantInput, shape }) => {
    const [A, B, Y] = [input(0), input(1), output(0)];
    const dY = gradOutput(0)!;
    const zero = b.constFloat(0);
    let dA: string | undefined;
    if (needsGradient(0)) {
      // A constant exponent (an integer tensor is allowed from Pow-12) folds into float constants.
      const constant = constantInput(1);
      const exponent = constant ? b.constFloat(constant, shape(B)) : needsGradient(1) ? B : b.toFloat(B);
      const lowered = constant ? b.constFloat(constant.map((v) => v - 1), shape(B)) : b.sub(exponent, b.constFloat(1));
      dA = b.mul(dY, b.mul(exponent, b.op('Pow', [A, lowered])));
      if (!constant || constant.includes(0)) dA = b.where(b.op('Equal', [exponent, zero]), zero, dA);
    }
    let dB: string | undefined;
    if (needsGradient(1)) {
      const undefinedLog = b.op('And', [b.op('Equal', [A, zero]), b.greaterOrEqual(B, zero)]);
      dB = b.where(undefinedLog, zero, b.mul(dY, b.mul(Y, b.op('Log', [A]))));
    }
    return [dA, dB];
  },
};
