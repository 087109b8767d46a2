/**
 * Cast between float types passes the gradient back unchanged. A cast to an integer or bool type
 * ends the gradient: the engine never asks for gradients through non-float values.
 */
import type { GradientRule } from '../rule.js';

export const CastGrad: GradientRule = {
  backward: ({ gradOutput }) => [gradOutput(0)],
};
