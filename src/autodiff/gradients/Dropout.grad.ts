/**
 * Dropout. In inference (training_mode absent or false, and always before opset 12) Y = X, so
 * dX = dY. In training Y = X * mask / (1 - ratio), so dX = dY * mask / (1 - ratio), with the mask
 * read from output 1 and ratio from input 1 (default 0.5). A training_mode computed at run time
 * selects between the two with Where.
 */
import { RetortError } from '../../util/errors.js';
import type { GradientRule } from '../rule.js';

export const DropoutGrad: GradientRule = {
  nonDifferentiableInputs: [1, 2],
  backward: ({ b, node, input, output, gradOutput, constantInput }) => {
    const dY = gradOutput(0)!;
    const training = input(2) ? constantInput(2) : [0];
    if (training && training[0] === 0) return [dY];
    const mask = output(1);
    if (!mask) {
      throw new RetortError(
        'GRAPH_INVALID',
        `Dropout node "${node.name}" may run in training mode but has no mask output; add one (outputs: [output, mask]) to differentiate it`,
      );
    }
    const ratio = input(1) ? constantInput(1)?.[0] : 0.5;
    // ratio 1 drops everything: no gradient (rather than 0 * inf).
    const scale = ratio === undefined
      ? b.div(b.constFloat(1), b.sub(b.constFloat(1), b.toFloat(input(1))))
      : b.constFloat(ratio >= 1 ? 0 : 1 / (1 - ratio));
    const dropped = b.mul(b.mul(dY, b.toFloat(mask)), scale);
    return [training ? dropped : b.where(input(2), dropped, dY)];
  },
};
