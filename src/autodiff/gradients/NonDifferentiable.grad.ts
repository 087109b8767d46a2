/**
 * Ops whose outputs are integers, booleans or shapes (Shape, Size, Range, ConstantOfShape, Equal,
 * Not, Less, Greater, And, Or, ArgMax, ArgMin, NonZero, Constant): no gradient flows through them.
 * The engine never visits them in practice (it only asks for gradients of float values); they are
 * registered so coverage tables list them, and every input is declared non-differentiable so a
 * visit would return nothing rather than fail. None of these ops has more than three inputs.
 */
import type { GradientRule } from '../rule.js';

export const NonDifferentiableGrad: GradientRule = {
  nonDifferentiableInputs: [0, 1, 2],
  backward: () => [],
};
