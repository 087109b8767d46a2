/**
 * Y = Expand(X, shape): dX = dY summed over the axes X was broadcast along. That is the engine's
 * broadcast reduction (from output 0's shape), so the rule only passes dY on.
 */
import type { GradientRule } from '../rule.js';

export const ExpandGrad: GradientRule = {
  nonDifferentiableInputs: [1],
  broadcastInputs: [0],
  backward: ({ gradOutput }) => [gradOutput(0)],
};
