/**
 * ReduceSum / ReduceMean / ReduceMax. The gradient is dY broadcast back over the reduced axes
 * (divided by the count for Mean; routed to the maxima, shared evenly between ties, for Max).
 * Axes come from the `axes` attribute (older opsets) or the constant second input (ReduceSum 13+,
 * others 18+); no axes means all, unless noop_with_empty_axes.
 */
import { attrInt, attrInts } from '../../onnx/attributes.js';
import type { GradientContext, GradientRule } from '../rule.js';

interface Reduction {
  axes: number[];
  /** Input dims with the reduced axes set to 1. */
  keptDims: number[];
  inputDims: number[];
  count: number;
}

export function reduction(ctx: GradientContext): Reduction {
  const inputDims = ctx.shape(ctx.input(0));
  const rank = inputDims.length;
  const given = attrInts(ctx.node, 'axes') ?? (ctx.inputCount > 1 && ctx.input(1) ? ctx.constantInput(1) : undefined);
  if (ctx.inputCount > 1 && ctx.input(1) && given === undefined) {
    throw new Error(`${ctx.node.opType} node "${ctx.node.name}": axes must be a constant to differentiate`);
  }
  const noop = attrInt(ctx.node, 'noop_with_empty_axes', 0) === 1;
  const axes = given && given.length > 0 ? given.map((a) => (a < 0 ? a + rank : a)) : noop ? [] : inputDims.map((_, i) => i);
  const keptDims = inputDims.map((d, i) => (axes.includes(i) ? 1 : d));
  const count = axes.reduce((n, a) => n * inputDims[a]!, 1);
  return { axes, keptDims, inputDims, count };
}

/** dY (kept or squeezed) broadcast to the input's shape. */
function spread(ctx: GradientContext, r: Reduction, dY: string): string {
  return ctx.b.expand(ctx.b.reshape(dY, r.keptDims), r.inputDims);
}

export const ReduceSumGrad: GradientRule = {
  nonDifferentiableInputs: [1],
  backward: (ctx) => [spread(ctx, reduction(ctx), ctx.gradOutput(0)!)],
};

export const ReduceMeanGrad: GradientRule = {
  nonDifferentiableInputs: [1],
  backward: (ctx) => {
    const r = reduction(ctx);
    return [spread(ctx, r, ctx.b.scale(ctx.gradOutput(0)!, 1 / r.count))];
  },
};

export const ReduceMaxGrad: GradientRule = {
  nonDifferentiableInputs: [1],
  backward: (ctx) => {
    const { b } = ctx;
    const r = reduction(ctx);
    const isMax = b.toFloat(b.op('Equal', [ctx.input(0), b.reshape(ctx.output(0), r.keptDims)]));
    const ties = b.reduceSum(isMax, r.axes, true);
    return [b.mul(spread(ctx, r, ctx.gradOutput(0)!), b.div(isMax, ties))];
  },
};
