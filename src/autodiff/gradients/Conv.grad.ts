/**
 * Conv and ConvTranspose, each the other's adjoint (Dumoulin & Visin 2016, "A guide to convolution
 * arithmetic"), so the backward pass stays on the Conv/ConvTranspose kernels ORT runs with MLAS:
 *   Y = Conv(X, W):          dX = ConvTranspose(dY, W), dW = Conv(X^T, dY^T), dB = sum(dY, all axes but 1)
 *   Y = ConvTranspose(X, W): dX = Conv(dY, W),          dW = Conv(dY^T, X^T), dB likewise
 * with the forward's strides, dilations, group and (explicit) pads.
 */
import { attrInt } from '../../onnx/attributes.js';
import type { GraphBuilder } from '../builder.js';
import type { GradientRule } from '../rule.js';
import { effectiveKernel, forwardWindow, transposedWindow, windowAttrs, type SlidingWindow } from './window.js';

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => i + from);

/** Keeps the first `want` elements of each spatial axis (axes 2..) where `have` is longer. */
function cropSpatial(b: GraphBuilder, a: string, have: number[], want: number[]): string {
  if (have.every((n, i) => n === want[i])) return a;
  const axes = range(want.length, 2);
  return b.op('Slice', [a, b.constInt64(want.map(() => 0)), b.constInt64(want), b.constInt64(axes)]);
}

/**
 * dW of Y = Conv(X, W), W: [M, C/G, k...]. dW[m, c, j] = sum over n, o of dY[n, m, o] *
 * X[n, c, o*stride + j*dilation - padBegin]: a Conv of X with dY as the kernel, batch and channel
 * axes swapped so the Conv sums over N, strides and dilations trading places. Groups ride on the
 * channel axis: X as [C/G, G*N, ...] and dY as [M, N, ...] under group=G give [C/G, M, k...].
 */
export function convWeightGradient(
  b: GraphBuilder, X: string, dY: string, xDims: number[], dyDims: number[], w: SlidingWindow, group: number,
): string {
  const [N, C] = [xDims[0]!, xDims[1]!];
  const M = dyDims[1]!;
  const [inSpatial, outSpatial] = [xDims.slice(2), dyDims.slice(2)];
  const spatialAxes = range(inSpatial.length, 2);
  const swap = [1, 0, ...spatialAxes];
  const groupedAxes = spatialAxes.map((a) => a + 1);
  const xT = group === 1
    ? b.transpose(X, swap)
    : b.reshape(b.transpose(b.reshape(X, [N, group, C / group, ...inSpatial]), [2, 1, 0, ...groupedAxes]), [C / group, group * N, ...inSpatial]);
  const dyT = group === 1
    ? b.transpose(dY, swap)
    : b.reshape(b.transpose(b.reshape(dY, [N, group, M / group, ...outSpatial]), [1, 2, 0, ...groupedAxes]), [M, N, ...outSpatial]);
  // Rows past the last window (the forward's stride remainder) are trimmed from the end pad; what
  // the pad cannot absorb is cropped from the result.
  const padsEnd: number[] = [];
  const sizes: number[] = [];
  inSpatial.forEach((n, i) => {
    const slack = n + w.padsBegin[i]! + w.padsEnd[i]! - effectiveKernel(w, i) - w.strides[i]! * (outSpatial[i]! - 1);
    padsEnd.push(w.padsEnd[i]! - Math.min(w.padsEnd[i]!, slack));
    const span = w.strides[i]! * (outSpatial[i]! - 1) + 1;
    sizes.push(Math.floor((n + w.padsBegin[i]! + padsEnd[i]! - span) / w.dilations[i]!) + 1);
  });
  const grad = b.op('Conv', [xT, dyT], { strides: w.dilations, dilations: w.strides, pads: [...w.padsBegin, ...padsEnd], group });
  return b.transpose(cropSpatial(b, grad, sizes, w.kernel), swap);
}

function biasGradient(b: GraphBuilder, dY: string, rank: number): string {
  return b.reduceSum(dY, [0, ...range(rank - 2, 2)], false);
}

export const ConvGrad: GradientRule = {
  backward: ({ b, node, input, output, gradOutput, needsGradient, shape }) => {
    const [X, W] = [input(0), input(1)];
    const dY = gradOutput(0)!;
    const [xDims, wDims, yDims] = [shape(X), shape(W), shape(output(0))];
    const group = attrInt(node, 'group', 1);
    const w = forwardWindow(node, wDims.slice(2), xDims.slice(2), yDims.slice(2));
    // The forward skips (in + pads - effectiveKernel) % stride trailing rows; output_padding restores them.
    const outputPadding = xDims.slice(2).map((n, i) => (n + w.padsBegin[i]! + w.padsEnd[i]! - effectiveKernel(w, i)) % w.strides[i]!);
    return [
      needsGradient(0) ? b.op('ConvTranspose', [dY, W], { ...windowAttrs(w), group, output_padding: outputPadding }) : undefined,
      needsGradient(1) ? convWeightGradient(b, X, dY, xDims, shape(output(0)), w, group) : undefined,
      needsGradient(2) ? biasGradient(b, dY, yDims.length) : undefined,
    ];
  },
};

export const ConvTransposeGrad: GradientRule = {
  backward: ({ b, node, input, output, gradOutput, needsGradient, shape }) => {
    const [X, W] = [input(0), input(1)];
    const dY = gradOutput(0)!;
    const [xDims, wDims, yDims] = [shape(X), shape(W), shape(output(0))];
    const group = attrInt(node, 'group', 1);
    const w = transposedWindow(node, wDims.slice(2), xDims.slice(2), yDims.slice(2));
    // Conv(dY, W) has floor((out + pads - effectiveKernel) / stride) + 1 = in positions, more only
    // when output_padding >= stride; those are cropped.
    const convSizes = yDims.slice(2).map((n, i) => Math.floor((n + w.padsBegin[i]! + w.padsEnd[i]! - effectiveKernel(w, i)) / w.strides[i]!) + 1);
    const dX = () => cropSpatial(b, b.op('Conv', [dY, W], { ...windowAttrs(w), group }), convSizes, xDims.slice(2));
    return [
      needsGradient(0) ? dX() : undefined,
      // ConvTranspose(X, W) is the adjoint of Conv(., W) from Y-space to X-space: its dW is that
      // Conv's dW with the roles of input and output gradient exchanged.
      needsGradient(1) ? convWeightGradient(b, dY, X, yDims, xDims, w, group) : undefined,
      needsGradient(2) ? biasGradient(b, dY, yDims.length) : undefined,
    ];
  },
};
