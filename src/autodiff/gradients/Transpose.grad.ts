/**
 * Y = Transpose(X, perm): dX = Transpose(dY, perm⁻¹), where perm⁻¹[perm[i]] = i. Without `perm`
 * the axes are reversed, which is its own inverse.
 */
import { attrInts } from '../../onnx/attributes.js';
import type { GradientRule } from '../rule.js';

export const TransposeGrad: GradientRule = {
  backward: ({ b, node, input, gradOutput, shape }) => {
    const rank = shape(input(0)).length;
    const perm = attrInts(node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
    const inverse = new Array<number>(rank);
    perm.forEach((p, i) => (inverse[p] = i));
    return [b.transpose(gradOutput(0)!, inverse)];
  },
};
