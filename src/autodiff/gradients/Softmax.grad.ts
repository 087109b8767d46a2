/**
 * Softmax and LogSoftmax over `axes`, with Y the forward output:
 *   Softmax:    dX = Y * (dY - sum(dY * Y, axes))
 *   LogSoftmax: dX = dY - exp(Y) * sum(dY, axes)
 * Before opset 13 the input is coerced to 2D at `axis` (default 1), so the sums run over every axis
 * from `axis` on; from opset 13 they run over the single `axis` (default -1).
 */
import { attrInt } from '../../onnx/attributes.js';
import type { GradientContext, GradientRule } from '../rule.js';

function softmaxAxes({ node, opset, output, shape }: GradientContext): number[] {
  const rank = shape(output(0)).length;
  const coerced2D = opset < 13;
  const given = attrInt(node, 'axis', coerced2D ? 1 : -1);
  const axis = given < 0 ? given + rank : given;
  return coerced2D ? Array.from({ length: rank - axis }, (_, i) => axis + i) : [axis];
}

export const SoftmaxGrad: GradientRule = {
  backward: (ctx) => {
    const { b, output, gradOutput } = ctx;
    const [Y, dY] = [output(0), gradOutput(0)!];
    return [b.mul(Y, b.sub(dY, b.reduceSum(b.mul(dY, Y), softmaxAxes(ctx), true)))];
  },
};

export const LogSoftmaxGrad: GradientRule = {
  backward: (ctx) => {
    const { b, output, gradOutput } = ctx;
    const [Y, dY] = [output(0), gradOutput(0)!];
    return [b.sub(dY, b.mul(b.exp(Y), b.reduceSum(dY, softmaxAxes(ctx), true)))];
  },
};
