/**
 * Y = X for X > 0, alpha * (exp(X) - 1) otherwise: dX = dY for X > 0, dY * (Y + alpha) otherwise
 * (alpha * exp(X), read off the output).
 */
import { attrFloat } from '../../onnx/attributes.js';
import type { GradientRule } from '../rule.js';

export const EluGrad: GradientRule = {
  backward: ({ b, node, input, output, gradOutput }) => {
    const alpha = attrFloat(node, 'alpha', 1);
    const dY = gradOutput(0)!;
    const negative = b.mul(dY, b.add(output(0), b.constFloat(alpha)));
    return [b.where(b.op('Greater', [input(0), b.constFloat(0)]), dY, negative)];
  },
};
