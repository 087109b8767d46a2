/**
 * Ops that re-view a tensor's elements in the same order: Reshape, Flatten, Squeeze, Unsqueeze.
 * dX = Reshape(dY, static shape of X). Their shape/axes input carries no gradient, so the attribute
 * form (Squeeze/Unsqueeze before opset 13) and the input form need nothing different.
 */
import type { GradientRule } from '../rule.js';

export const ReshapeGrad: GradientRule = {
  nonDifferentiableInputs: [1],
  backward: ({ b, input, gradOutput, shape }) => [b.reshape(gradOutput(0)!, shape(input(0)))],
};

export const FlattenGrad: GradientRule = ReshapeGrad;
export const SqueezeGrad: GradientRule = ReshapeGrad;
export const UnsqueezeGrad: GradientRule = ReshapeGrad;
