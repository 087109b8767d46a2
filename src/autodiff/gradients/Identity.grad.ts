/** Ops that pass values through unchanged: the gradient passes back unchanged. */
import type { GradientRule } from '../rule.js';

export const IdentityGrad: GradientRule = {
  backward: ({ gradOutput }) => [gradOutput(0)],
};
