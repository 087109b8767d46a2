/**
 * Y = gamma * X for X > 0, gamma * alpha * (exp(X) - 1) otherwise (Klambauer et al. 2017):
 * dX = gamma * dY for X > 0, dY * (Y + gamma * alpha) otherwise.
 */
import { attrFloat } from '../../onnx/attributes.js';
import type { GradientRule } from '../rule.js';

// The ONNX defaults, as float32 values.
const DEFAULT_ALPHA = 1.67326319217681884765625;
const DEFAULT_GAMMA = 1.05070102214813232421875;

export const SeluGrad: GradientRule = {
  backward: ({ b, node, input, output, gradOutput }) => {
    const alpha = attrFloat(node, 'alpha', DEFAULT_ALPHA);
    const gamma = attrFloat(node, 'gamma', DEFAULT_GAMMA);
    const dY = gradOutput(0)!;
    const negative = b.mul(dY, b.add(output(0), b.constFloat(gamma * alpha)));
    return [b.where(b.op('Greater', [input(0), b.constFloat(0)]), b.scale(dY, gamma), negative)];
  },
};
