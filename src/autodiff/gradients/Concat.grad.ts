/**
 * Y = Concat(X0, ..., Xn; axis): dXi = the piece of dY along `axis` where Xi sits — one Split of dY by
 * the inputs' static sizes (the builder emits Split's `split` as attribute or input per opset).
 */
import { attrInt } from '../../onnx/attributes.js';
import type { GradientRule } from '../rule.js';

export const ConcatGrad: GradientRule = {
  backward: ({ b, node, input, inputCount, output, gradOutput, needsGradient, shape }) => {
    const rank = shape(output(0)).length;
    const given = attrInt(node, 'axis', 0);
    const axis = given < 0 ? given + rank : given;
    const sizes = Array.from({ length: inputCount }, (_, i) => shape(input(i))[axis]!);
    const pieces = b.split(gradOutput(0)!, axis, sizes);
    return pieces.map((piece, i) => (needsGradient(i) ? piece : undefined));
  },
};
