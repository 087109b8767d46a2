/**
 * Sliding-window geometry shared by the Conv, ConvTranspose and pooling gradient rules: strides,
 * dilations and explicit begin/end pads, with `auto_pad` resolved from the static shapes, so the
 * backward nodes never depend on an auto_pad convention.
 */
import { attrInts, attrString } from '../../onnx/attributes.js';
import type { NodeProto } from '../../onnx/proto.js';

export interface SlidingWindow {
  kernel: number[];
  strides: number[];
  dilations: number[];
  padsBegin: number[];
  padsEnd: number[];
}

/** The span one window covers: dilation * (kernel - 1) + 1. */
export function effectiveKernel(w: SlidingWindow, axis: number): number {
  return w.dilations[axis]! * (w.kernel[axis]! - 1) + 1;
}

function stridesAndDilations(node: NodeProto, rank: number): Pick<SlidingWindow, 'strides' | 'dilations'> {
  return {
    strides: attrInts(node, 'strides') ?? Array<number>(rank).fill(1),
    dilations: attrInts(node, 'dilations') ?? Array<number>(rank).fill(1),
  };
}

/**
 * Window of an op whose output holds the window positions over the padded input (Conv, pools).
 * SAME_UPPER/SAME_LOWER pads are recovered from the static output size: the total padding is
 * (out - 1) * stride + effectiveKernel - in, the odd one going to the end (UPPER) or begin (LOWER).
 */
export function forwardWindow(node: NodeProto, kernel: number[], inSpatial: number[], outSpatial: number[]): SlidingWindow {
  const rank = kernel.length;
  const w: SlidingWindow = { kernel, ...stridesAndDilations(node, rank), padsBegin: [], padsEnd: [] };
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const totals = kernel.map((_, i) => Math.max(0, (outSpatial[i]! - 1) * w.strides[i]! + effectiveKernel(w, i) - inSpatial[i]!));
    return splitPadding(w, totals, autoPad);
  }
  return explicitPads(node, w, autoPad);
}

/** Total padding per axis split in two, the odd one at the end for SAME_UPPER, else the beginning. */
function splitPadding(w: SlidingWindow, totals: readonly number[], autoPad: string): SlidingWindow {
  for (const total of totals) {
    const small = Math.floor(total / 2);
    w.padsBegin.push(autoPad === 'SAME_UPPER' ? small : total - small);
    w.padsEnd.push(autoPad === 'SAME_UPPER' ? total - small : small);
  }
  return w;
}

/** The `pads` attribute (none for VALID or when absent). */
function explicitPads(node: NodeProto, w: SlidingWindow, autoPad: string): SlidingWindow {
  const rank = w.kernel.length;
  const pads = autoPad === 'VALID' ? undefined : attrInts(node, 'pads');
  w.padsBegin = pads ? pads.slice(0, rank) : Array<number>(rank).fill(0);
  w.padsEnd = pads ? pads.slice(rank) : Array<number>(rank).fill(0);
  return w;
}

/**
 * Window of a ConvTranspose. With output_shape or SAME_* auto_pad the total padding is
 * stride * (in - 1) + output_padding + effectiveKernel - out, split as ONNX Runtime does
 * (SAME_UPPER: the odd one at the end; otherwise at the beginning).
 */
export function transposedWindow(node: NodeProto, kernel: number[], inSpatial: number[], outSpatial: number[]): SlidingWindow {
  const rank = kernel.length;
  const w: SlidingWindow = { kernel, ...stridesAndDilations(node, rank), padsBegin: [], padsEnd: [] };
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  const outputPadding = attrInts(node, 'output_padding') ?? Array<number>(rank).fill(0);
  if (attrInts(node, 'output_shape') !== undefined || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const totals = kernel.map((_, i) => w.strides[i]! * (inSpatial[i]! - 1) + outputPadding[i]! + effectiveKernel(w, i) - outSpatial[i]!);
    return splitPadding(w, totals, autoPad);
  }
  return explicitPads(node, w, autoPad);
}

/** Explicit-pad attributes for an emitted Conv / ConvTranspose / pool node. */
export function windowAttrs(w: SlidingWindow, padsEnd: number[] = w.padsEnd): { strides: number[]; dilations: number[]; pads: number[] } {
  return { strides: w.strides, dilations: w.dilations, pads: [...w.padsBegin, ...padsEnd] };
}
