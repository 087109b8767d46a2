/**
 * Y = A @ B with numpy batching: dA = dY @ B^T, dB = A^T @ dY, summed over broadcast batch axes;
 * vectors are promoted to matrices as numpy does. A 2-D weight W under a batched X gets dW as one
 * Gemm(transA=1) of X and dY flattened to rows.
 *
 * Why: batched, dW is a [..., K, N] stack of per-batch products then a ReduceSum, which writes
 * batch × K × N floats and runs one small GEMM per batch; summing over the batch axes is the same
 * as contracting over them, so with X reshaped to [B·M, K] and dY to [B·M, N] (no copy) it is one
 * GEMM whose inner dimension is B·M, with X's transpose taken by the transA flag, not a Transpose.
 */
import type { GradientContext, GradientRule } from '../rule.js';
import { sumToShape } from '../broadcast.js';

export const MatMulGrad: GradientRule = {
  backward: (ctx) => (weightOnRight(ctx) ? flattenedWeightGradient(ctx) : batchedGradient(ctx)),
};

/** B is a 2-D matrix shared by every batch of an A of rank >= 3. */
function weightOnRight({ input, shape }: GradientContext): boolean {
  const aDims = shape(input(0));
  const bDims = shape(input(1));
  // Reshape(X, [-1, K]) cannot infer -1 when K is 0; such an empty weight takes the general path.
  return aDims.length >= 3 && bDims.length === 2 && bDims.every((d) => d > 0);
}

/**
 * X [..., M, K] @ W [K, N]: dX = dY @ W^T, a broadcasting MatMul already of X's shape;
 * dW = Gemm(X as [-1, K], dY as [-1, N], transA=1). The -1 leaves the batch and sequence sizes
 * to run time; only K and N, the weight's own dims, are fixed.
 */
function flattenedWeightGradient({ b, input, gradOutput, needsGradient, shape }: GradientContext): Array<string | undefined> {
  const [X, W, dY] = [input(0), input(1), gradOutput(0)!];
  const [k, n] = shape(W) as [number, number];
  const dX = needsGradient(0) ? b.matmul(dY, b.transposeLast2(W, 2)) : undefined;
  const dW = needsGradient(1) ? b.op('Gemm', [b.reshape(X, [-1, k]), b.reshape(dY, [-1, n])], { transA: 1 }) : undefined;
  return [dX, dW];
}

function batchedGradient({ b, input, output, gradOutput, needsGradient, shape }: GradientContext): Array<string | undefined> {
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
}

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
