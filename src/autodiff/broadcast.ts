/**
 * Undoing numpy-style broadcasting in the backward pass: a gradient with the broadcast shape is
 * summed over the axes the input was stretched along, then reshaped to the input's dims.
 */
import type { GraphBuilder } from './builder.js';

/** Axes of `from` to sum so the result can be reshaped to `to` (right-aligned broadcasting). */
export function broadcastAxes(from: readonly number[], to: readonly number[]): number[] {
  const lead = from.length - to.length;
  const axes: number[] = [];
  for (let i = 0; i < from.length; i++) {
    if (i < lead) axes.push(i);
    else if (to[i - lead] === 1 && from[i] !== 1) axes.push(i);
  }
  return axes;
}

export function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** `gradient` (dims `from`) summed down to dims `to`. */
export function sumToShape(b: GraphBuilder, gradient: string, from: readonly number[], to: readonly number[]): string {
  if (sameDims(from, to)) return gradient;
  const axes = broadcastAxes(from, to);
  const summed = axes.length > 0 ? b.reduceSum(gradient, axes, true) : gradient;
  return b.reshape(summed, to);
}
