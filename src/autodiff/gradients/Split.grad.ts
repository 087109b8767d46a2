/**
 * [Y0, ..., Yn] = Split(X; axis): dX = Concat(dY0, ..., dYn; axis), where an output nothing
 * downstream uses contributes zeros of its static shape. The sizes (attribute `split` before opset
 * 13, input 1 from 13, or `num_outputs` from 18) are already in the outputs' static shapes.
 */
import { attrInt } from '../../onnx/attributes.js';
import type { GradientRule } from '../rule.js';

export const SplitGrad: GradientRule = {
  nonDifferentiableInputs: [1],
  backward: ({ b, node, input, output, gradOutput, shape }) => {
    const rank = shape(input(0)).length;
    const given = attrInt(node, 'axis', 0);
    const axis = given < 0 ? given + rank : given;
    const pieces = node.output.map((_, i) => gradOutput(i) ?? b.zeros(shape(output(i))));
    return [b.concat(pieces, axis)];
  },
};
