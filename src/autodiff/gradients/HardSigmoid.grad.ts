/**
 * Y = max(0, min(1, alpha * X + beta)): dX = alpha * dY where 0 < Y < 1, else 0 (PyTorch's
 * hardsigmoid_backward also gives 0 at both kinks).
 */
import { attrFloat } from '../../onnx/attributes.js';
import type { GradientRule } from '../rule.js';

export const HardSigmoidGrad: GradientRule = {
  backward: ({ b, node, output, gradOutput }) => {
    const alpha = attrFloat(node, 'alpha', 0.2);
    const Y = output(0);
    const linear = b.op('And', [b.op('Greater', [Y, b.constFloat(0)]), b.op('Less', [Y, b.constFloat(1)])]);
    return [b.where(linear, b.scale(gradOutput(0)!, alpha), b.constFloat(0))];
  },
};
