/** Y = X for X > 0, alpha * X otherwise: dX = dY where X > 0, alpha * dY elsewhere (at 0 too, as PyTorch). */
import { attrFloat } from '../../onnx/attributes.js';
import type { GradientRule } from '../rule.js';

export const LeakyReluGrad: GradientRule = {
  backward: ({ b, node, input, gradOutput }) => {
    const alpha = attrFloat(node, 'alpha', 0.01);
    const dY = gradOutput(0)!;
    const positive = b.op('Greater', [input(0), b.constFloat(0)]);
    return [b.where(positive, dY, b.scale(dY, alpha))];
  },
};
