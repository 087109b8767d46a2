/**
 * Y = Pad(X, pads, constant_value, axes) in constant mode: the elements of Y that came from X are
 * the interior Slice of dY; with negative pads (cropping), the cropped positions get zeros (a Pad
 * of that slice). d constant_value = sum(dY) - sum(interior): the padded positions. `pads` is an
 * attribute before opset 11 and an input after; `axes` (opset 18) restricts pads to some axes.
 * reflect, edge and wrap modes are not differentiated.
 */
import { attrInts, attrString } from '../../onnx/attributes.js';
import type { GradientContext, GradientRule } from '../rule.js';

/** [begin..., end...] over every axis of X. */
function fullPads(ctx: GradientContext, rank: number): number[] {
  const { node, opset, inputCount, input, constantInput } = ctx;
  const given = opset < 11 ? attrInts(node, 'pads') : constantInput(1);
  if (!given) throw new Error(`Pad node "${node.name}": pads must be a constant to differentiate`);
  if (inputCount <= 3 || !input(3)) return given;
  const axes = constantInput(3);
  if (!axes) throw new Error(`Pad node "${node.name}": axes must be a constant to differentiate`);
  const pads = new Array<number>(2 * rank).fill(0);
  axes.forEach((a, k) => {
    const axis = a < 0 ? a + rank : a;
    pads[axis] = given[k]!;
    pads[axis + rank] = given[k + axes.length]!;
  });
  return pads;
}

export const PadGrad: GradientRule = {
  nonDifferentiableInputs: [1, 3],
  backward: (ctx) => {
    const { b, node, input, output, gradOutput, needsGradient, shape } = ctx;
    const mode = attrString(node, 'mode', 'constant');
    if (mode !== 'constant') {
      throw new Error(`Pad node "${node.name}": no gradient for mode "${mode}". Differentiable modes: constant`);
    }
    const dY = gradOutput(0)!;
    const outDims = shape(output(0));
    const rank = outDims.length;
    const pads = fullPads(ctx, rank);
    const [begin, end] = [pads.slice(0, rank), pads.slice(rank)];
    const axes = outDims.map((_, i) => i);
    const starts = begin.map((p) => Math.max(p, 0));
    const ends = outDims.map((d, i) => d - Math.max(end[i]!, 0));
    const interior = pads.some((p) => p > 0) ? b.slice(dY, starts, ends, axes) : dY;
    const cropped = pads.some((p) => p < 0);
    const dX = cropped ? b.pad(interior, pads.map((p) => Math.max(-p, 0))) : interior;
    const sumAll = (v: string) => b.reduceSum(v, axes, false);
    const dValue = needsGradient(2) ? b.reshape(b.sub(sumAll(dY), sumAll(interior)), shape(input(2))) : undefined;
    return [needsGradient(0) ? dX : undefined, undefined, dValue];
  },
};
