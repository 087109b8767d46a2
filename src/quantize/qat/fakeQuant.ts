/**
 * Fake quantization as float ONNX ops, so the training graph runs in ORT's inference build and the
 * autodiff engine differentiates it with ordinary rules:
 *   u = x / s + zp;  q = Round(Clip(u, qmin, qmax));  y = (q - zp) * s
 * Clip before Round equals Round before Clip (the bounds are integers), and puts the Clip rule on the
 * unrounded u, so its gradient is dY exactly where x lies in [s(qmin - zp), s(qmax - zp)]: the clipped
 * straight-through estimator (Jacob et al. 2018; PyTorch's FakeQuantize). Round's rule is the identity.
 * 'plain' passes dY everywhere (Bengio et al. 2013): the Clip is bypassed in the backward pass only.
 * With a trainable s the same graph gives LSQ's step-size gradient (Esser et al. 2020, eq. 3):
 * dy/ds = q - zp - x/s inside the range, qmin - zp or qmax - zp outside.
 */
import type { GraphBuilder } from '../../autodiff/builder.js';
import type { IntegerRange } from '../affine.js';
import type { StopGradients } from './straightThrough.js';

export type StraightThrough = 'plain' | 'clipped';
export const STRAIGHT_THROUGH: readonly StraightThrough[] = ['plain', 'clipped'];

export interface FakeQuantParams {
  /** Step size value (broadcastable against x: a scalar or one per channel). */
  scale: string;
  /** Zero point as a float value (broadcastable). */
  zeroPoint: string;
  range: IntegerRange;
  ste: StraightThrough;
}

export function appendFakeQuant(b: GraphBuilder, stops: StopGradients, x: string, p: FakeQuantParams): string {
  const u = b.add(b.div(x, p.scale), p.zeroPoint);
  const clipped = b.op('Clip', [u, b.constFloat(p.range.qmin), b.constFloat(p.range.qmax)]);
  const saturated = p.ste === 'clipped' ? clipped : stops.straightThrough(clipped, u);
  const q = b.op('Round', [saturated]);
  return b.mul(b.sub(q, p.zeroPoint), p.scale);
}

/** A reduction over every axis to a scalar (no axes given: the same node in every opset). */
export function reduceAll(b: GraphBuilder, op: 'ReduceMin' | 'ReduceMax' | 'ReduceMean' | 'ReduceSum', x: string): string {
  return b.op(op, [x], { keepdims: 0 });
}

/**
 * Symmetric per-channel (or per-tensor) scale from the current weights, s = max|W| / qmax (a zero
 * channel gets 1, as `affineParams` does), computed in the graph and not differentiated (a range
 * observer carries no gradient, as in PyTorch's per-channel MinMax observer).
 */
export function observedWeightScale(b: GraphBuilder, stops: StopGradients, weight: string, dims: readonly number[], axis: number | undefined, range: IntegerRange): string {
  const abs = b.op('Abs', [weight]);
  const reduceAxes = dims.map((_, i) => i).filter((i) => i !== axis);
  const absMax = axis === undefined ? reduceAll(b, 'ReduceMax', abs) : b.reduceMax(abs, reduceAxes, true);
  const half = (range.qmax - range.qmin) / 2;
  const scale = b.where(b.op('Greater', [absMax, b.constFloat(0)]), b.div(absMax, b.constFloat(half)), b.constFloat(1));
  return stops.stop(scale);
}

/**
 * Scale and zero point from an observed range [min, max] (values of the graph), widened to include
 * 0, as `affineParams` computes them: asymmetric s = (hi - lo) / (qmax - qmin), zp = round(qmin - lo/s).
 */
export function rangeParams(b: GraphBuilder, min: string, max: string, range: IntegerRange, symmetric: boolean): { scale: string; zeroPoint: string } {
  const zero = b.constFloat(0);
  const lo = b.op('Min', [min, zero]);
  const hi = b.op('Max', [max, zero]);
  const { qmin, qmax } = range;
  if (symmetric) {
    const absMax = b.op('Max', [b.neg(lo), hi]);
    const scale = b.where(b.op('Greater', [absMax, zero]), b.div(absMax, b.constFloat((qmax - qmin) / 2)), b.constFloat(1));
    return { scale, zeroPoint: b.constFloat(Math.ceil((qmin + qmax) / 2)) };
  }
  const width = b.sub(hi, lo);
  const scale = b.where(b.op('Greater', [width, zero]), b.div(width, b.constFloat(qmax - qmin)), b.constFloat(1));
  const zeroPoint = b.op('Clip', [b.op('Round', [b.sub(b.constFloat(qmin), b.div(lo, scale))]), b.constFloat(qmin), b.constFloat(qmax)]);
  return { scale, zeroPoint };
}
