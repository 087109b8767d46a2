/**
 * Gelu (ONNX opset 20, and com.microsoft:Gelu from ORT-optimized models, which is the exact form).
 * approximate='none': Y = X * Phi(X), dX = dY * (Phi(X) + X * phi(X)), Phi/phi the standard normal
 * CDF/density. approximate='tanh' (Hendrycks & Gimpel 2016): Y = X/2 * (1 + T),
 * T = tanh(u), u = sqrt(2/pi) * (X + 0.044715 X^3): dX = dY * ((1 + T)/2 + X/2 * (1 - T^2) * du/dX).
 */
import { attrString } from '../../onnx/attributes.js';
import { RetortError } from '../../util/errors.js';
import type { GradientRule } from '../rule.js';

const CUBIC = 0.044715;

export const GeluGrad: GradientRule = {
  backward: ({ b, node, input, gradOutput }) => {
    const X = input(0);
    const one = b.constFloat(1);
    const approximate = attrString(node, 'approximate', 'none');
    let slope: string;
    if (approximate === 'none') {
      const cdf = b.scale(b.add(one, b.op('Erf', [b.scale(X, Math.SQRT1_2)])), 0.5);
      const density = b.scale(b.exp(b.scale(b.mul(X, X), -0.5)), 1 / Math.sqrt(2 * Math.PI));
      slope = b.add(cdf, b.mul(X, density));
    } else if (approximate === 'tanh') {
      const k = Math.sqrt(2 / Math.PI);
      const X2 = b.mul(X, X);
      const T = b.op('Tanh', [b.scale(b.mul(X, b.add(one, b.scale(X2, CUBIC))), k)]);
      const du = b.scale(b.add(one, b.scale(X2, 3 * CUBIC)), k);
      const outer = b.scale(b.add(one, T), 0.5);
      const inner = b.mul(b.scale(X, 0.5), b.mul(b.sub(one, b.mul(T, T)), du));
      slope = b.add(outer, inner);
    } else {
      throw new RetortError('GRAPH_INVALID', `Gelu node "${node.name}": unsupported approximate "${approximate}". Should be one of: none, tanh`);
    }
    return [b.mul(gradOutput(0)!, slope)];
  },
};
