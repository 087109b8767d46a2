/**
 * Y = min(max(X, lo), hi): dX = dY where lo <= X <= hi, else 0. The bounds count as inside, as in
 * PyTorch's clamp_backward. Bounds are inputs 1 and 2 from opset 11 (either may be absent) and
 * the `min`/`max` attributes before; they get no gradient.
 */
import { findAttribute } from '../../onnx/attributes.js';
import type { GradientContext, GradientRule } from '../rule.js';

function bound(ctx: GradientContext, index: 1 | 2, attribute: 'min' | 'max'): string | undefined {
  if (ctx.input(index)) return ctx.input(index);
  const legacy = findAttribute(ctx.node, attribute);
  return legacy ? ctx.b.constFloat(legacy.f) : undefined;
}

export const ClipGrad: GradientRule = {
  nonDifferentiableInputs: [1, 2],
  backward: (ctx) => {
    const { b, input, gradOutput } = ctx;
    const X = input(0);
    const lo = bound(ctx, 1, 'min');
    const hi = bound(ctx, 2, 'max');
    const inside = [lo && b.greaterOrEqual(X, lo), hi && b.lessOrEqual(X, hi)].filter((m): m is string => !!m);
    if (inside.length === 0) return [gradOutput(0)];
    const mask = inside.length === 1 ? inside[0]! : b.op('And', inside);
    return [b.where(mask, gradOutput(0)!, b.constFloat(0))];
  },
};
