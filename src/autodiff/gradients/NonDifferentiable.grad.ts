/**
 * Integer, boolean or shape output: no gradient flows through the op.
 *
 * For Shape, Size, Range, ConstantOfShape, Equal, Not, Less, Greater, And, Or, ArgMax, ArgMin,
 * NonZero and Constant. The engine never visits them in practice (it only asks for gradients of
 * float values); they are registered so coverage tables list them, with every input declared
 * non-differentiable so a visit would return nothing rather than fail. None has over three inputs.
 */
import type { GradientRule } from '../rule.js';

export const NonDifferentiableGrad: GradientRule = {
  nonDifferentiableInputs: [0, 1, 2],
  backward: () => [],
};
