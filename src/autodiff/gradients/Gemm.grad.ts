/**
 * Y = alpha * op(A) @ op(B) + beta * C, op = optional transpose.
 * dA = alpha * dY @ op(B)^T (transposed back if transA); dB likewise; dC = beta * dY (broadcast undone).
 */
import { attrFloat, attrInt } from '../../onnx/attributes.js';
import type { GradientRule } from '../rule.js';

export const GemmGrad: GradientRule = {
  broadcastInputs: [2],
  backward: ({ b, node, input, gradOutput, needsGradient }) => {
    const alpha = attrFloat(node, 'alpha', 1);
    const beta = attrFloat(node, 'beta', 1);
    const transA = attrInt(node, 'transA', 0) === 1;
    const transB = attrInt(node, 'transB', 0) === 1;
    const dY = alpha === 1 ? gradOutput(0)! : b.scale(gradOutput(0)!, alpha);
    const [A, B] = [input(0), input(1)];
    const gemm = (x: string, y: string, tx: boolean, ty: boolean) =>
      b.op('Gemm', [x, y], { transA: tx ? 1 : 0, transB: ty ? 1 : 0 });
    // A' = op(A), B' = op(B): dA' = dY B'^T, dB' = A'^T dY, then undo the transposes.
    const dA = !needsGradient(0) ? undefined : transA ? gemm(B, dY, transB, true) : gemm(dY, B, false, !transB);
    const dB = !needsGradient(1) ? undefined : transB ? gemm(dY, A, true, transA) : gemm(A, dY, !transA, false);
    const dC = needsGradient(2) ? (beta === 1 ? gradOutput(0)! : b.scale(gradOutput(0)!, beta)) : undefined;
    return [dA, dB, dC];
  },
};
