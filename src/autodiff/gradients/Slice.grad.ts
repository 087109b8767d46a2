/**
 * Y = Slice(X; starts, ends, axes, steps): dX is dY written back at the positions it was read
 * from, zeros elsewhere. With unit steps that is Pad(dY) by what the slice cut off on each side;
 * a strided axis is filled by ScatterElements (no reduction needed: slice positions are unique).
 * starts/ends/axes/steps are constant inputs (opset 10+) or attributes (before), with ONNX's
 * clamping of negative and out-of-range (INT64_MAX-style) bounds. Where they are computed at run
 * time (exporters slice position embeddings by a Shape-derived length), the same Slice is applied
 * to the flat positions 0..numel-1 of X and dY is scattered back to the positions it yields.
 */
import { attrInts } from '../../onnx/attributes.js';
import type { GradientContext, GradientRule } from '../rule.js';

/** What one sliced axis keeps: `count` elements at start, start + step, ... */
interface AxisSlice {
  axis: number;
  start: number;
  step: number;
  count: number;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

const product = (dims: readonly number[]) => dims.reduce((n, d) => n * d, 1);

/** Whether every starts/ends/axes/steps value is known before run time. */
function parametersConstant(ctx: GradientContext): boolean {
  if (ctx.opset < 10) return true;
  return [1, 2, 3, 4].every((i) => i >= ctx.inputCount || !ctx.input(i) || ctx.constantInput(i) !== undefined);
}

function sliceParameter(ctx: GradientContext, index: number, attribute: string): number[] | undefined {
  if (ctx.opset < 10) return attrInts(ctx.node, attribute);
  return index < ctx.inputCount && ctx.input(index) ? ctx.constantInput(index) : undefined;
}

/** The slice each listed axis takes, from constant parameters. */
export function slicedAxes(ctx: GradientContext): AxisSlice[] {
  const dims = ctx.shape(ctx.input(0));
  const starts = sliceParameter(ctx, 1, 'starts') ?? [];
  const ends = sliceParameter(ctx, 2, 'ends') ?? [];
  const axes = sliceParameter(ctx, 3, 'axes') ?? starts.map((_, i) => i);
  const steps = sliceParameter(ctx, 4, 'steps') ?? starts.map(() => 1);
  return axes.map((given, k) => {
    const axis = given < 0 ? given + dims.length : given;
    const dim = dims[axis]!;
    const step = steps[k]!;
    let start = starts[k]!;
    let end = ends[k]!;
    if (start < 0) start += dim;
    if (end < 0) end += dim;
    if (step > 0) {
      start = clamp(start, 0, dim);
      end = clamp(end, 0, dim);
      return { axis, start, step, count: Math.max(0, Math.ceil((end - start) / step)) };
    }
    start = clamp(start, 0, dim - 1);
    end = clamp(end, -1, dim - 1);
    return { axis, start, step, count: Math.max(0, Math.ceil((start - end) / -step)) };
  });
}

export const SliceGrad: GradientRule = {
  nonDifferentiableInputs: [1, 2, 3, 4],
  backward: (ctx) => {
    const { b, node, input, output, gradOutput, shape } = ctx;
    const dims = shape(input(0));
    if (!parametersConstant(ctx)) {
      // positions = Slice(0..numel-1 shaped like X) with the node's own run-time parameters.
      const [numel, count] = [product(dims), product(shape(output(0)))];
      const iota = b.reshape(b.op('Range', [b.constInt64(0), b.constInt64(numel), b.constInt64(1)]), dims);
      const positions = b.reshape(b.op('Slice', [iota, ...node.input.slice(1)]), [count]);
      const flat = b.op('ScatterElements', [b.zeros([numel]), positions, b.reshape(gradOutput(0)!, [count])], { axis: 0 });
      return [b.reshape(flat, dims)];
    }
    const slices = slicedAxes(ctx);
    if (slices.some((s) => s.count === 0)) return [b.zeros(dims)];
    let dX = gradOutput(0)!;
    const current = [...shape(output(0))];
    // Strided axes: scatter dY's rows to positions start + j*step of a zero tensor.
    for (const { axis, start, step, count } of slices.filter((s) => s.step !== 1)) {
      const positions = Array.from({ length: count }, (_, j) => start + j * step);
      const along = current.map((_, i) => (i === axis ? count : 1));
      const indices = b.expand(b.constInt64(positions, along), current);
      current[axis] = dims[axis]!;
      dX = b.op('ScatterElements', [b.zeros(current), indices, dX], { axis });
    }
    // Unit-step axes: pad back what was cut off before and after.
    const pads = new Array<number>(2 * dims.length).fill(0);
    for (const { axis, start, count } of slices.filter((s) => s.step === 1)) {
      pads[axis] = start;
      pads[axis + dims.length] = dims[axis]! - start - count;
    }
    return [pads.some((p) => p !== 0) ? b.pad(dX, pads) : dX];
  },
};
