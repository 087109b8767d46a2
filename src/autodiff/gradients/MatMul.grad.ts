/**
 * Y = A @ B with numpy batching. For rank >= 2: dA = dY @ B^T, dB = A^T @ dY, then summed over
 * batch axes that were broadcast. Rank-1 operands are promoted to matrices first, as numpy does.
 */
import type { GradientRule } from '../rule.js';
import { sumToShape } from '../broadcast.js';

export const MatMulGrad: GradientRule = {
  backward: ({ b, input, output, gradOutput, needsGradient, shape }) => {
    const [A, B, Y] = [input(0), input(1), output(0)];
    const aDims = shape(A);
    const bDims = shape(B);
    // Promote vectors: a [k] left operand is [1, k]; a [k] right operand is [k, 1].
    const a2 = aDims.length === 1 ? [1, aDims[0]!] : aDims;
    const b2 = bDims.length === 1 ? [bDims[0]!, 1] : bDims;
    const batch = broadcastBatch(a2.slice(0, -2), b2.slice(0, -2));
    const yDims = [...batch, a2[a2.length - 2]!, b2[b2.length - 1]!];
    const dY = sameLength(shape(Y), yDims) ? gradOutput(0)! : b.reshape(gradOutput(0)!, yDims);
    const Am = aDims.length === 1 ? b.reshape(A, a2) : A;
    const Bm = bDims.length === 1 ? b.reshape(B, b2) : B;
    const full = (d: number[]) => [...batch, ...d.slice(-2)];
    const dA = needsGradient(0)
      ? b.reshape(sumToShape(b, b.matmul(dY, b.transposeLast2(Bm, b2.length)), full(a2), a2), aDims)
      : undefined;
    const dB = needsGradient(1)
      ? b.reshape(sumToShape(b, b.matmul(b.transposeLast2(Am, a2.length), dY), full(b2), b2), bDims)
      : undefined;
    return [dA, dB];
  },
};

function broadcastBatch(a: number[], c: number[]): number[] {
  const n = Math.max(a.length, c.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = c[c.length - n + i] ?? 1;
    out.push(Math.max(x, y));
  }
  return out;
}

function sameLength(a: number[], c: number[]): boolean {
  return a.length === c.length && a.every((d, i) => d === c[i]);
}
