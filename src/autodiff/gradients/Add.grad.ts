/** Add and Sub share a rule: dA = dY, dB = ±dY (the engine undoes broadcasting). */
import type { GradientRule } from '../rule.js';

export const AddGrad: GradientRule = {
  broadcastInputs: 'all',
  backward: (ctx) => [ctx.gradOutput(0), ctx.gradOutput(0)],
};

export const SubGrad: GradientRule = {
  broadcastInputs: 'all',
  backward: (ctx) => {
    const dY = ctx.gradOutput(0)!;
    return [dY, ctx.needsGradient(1) ? ctx.b.neg(dY) : undefined];
  },
};

/** Sum of any number of inputs: each gets dY. */
export const SumGrad: GradientRule = {
  broadcastInputs: 'all',
  backward: (ctx) => Array.from({ length: ctx.inputCount }, () => ctx.gradOutput(0)),
};
