/**
 * Which weights are prunable, declared per op type (a registry, not op-type branches in shared
 * code): the node input holding the weight, its output-unit axis and its input axes, and the data
 * input whose features the weight multiplies (Wanda reads their norms). Biases and normalization
 * parameters are never declared, so they are never pruned.
 */
import { attrInt } from '../onnx/attributes.js';
import type { NodeProto } from '../onnx/proto.js';
import { Registry } from '../util/registry.js';

export interface WeightLayout {
  /** The node input that holds the weight. */
  weightInput: number;
  /** Weight axis of the output units: the rows of the pruning view (Wanda compares within a row). */
  outputAxis: number;
  /** Weight axes feeding one output unit, slowest first; N:M groups run along the flattened columns. */
  inputAxes: readonly number[];
  /** The node input carrying the activations X the weight multiplies, and X's feature axis (negative counts from the end). */
  activation: { input: number; featureAxis: number };
  /** The weight axis whose index names the activation feature. */
  featureWeightAxis: number;
  /** The activation feature that output row `row` reads at index `index` along `featureWeightAxis` (grouped conv). */
  featureOf(row: number, index: number): number;
}

/** Given the node and the weight's dims: its layout, or undefined where this form is not prunable. */
export type WeightDeclaration = (node: NodeProto, weightDims: readonly number[]) => WeightLayout | undefined;

export const prunableOps = new Registry<WeightDeclaration>('prunable op type');

const identity = (_row: number, index: number): number => index;

/** Gemm: Y = A' B' (+ C); B is [K, N], or [N, K] with transB = 1 (PyTorch's Linear). */
const gemm: WeightDeclaration = (node, dims) => {
  if (dims.length !== 2) return undefined;
  const transB = attrInt(node, 'transB', 0) === 1;
  const inputAxis = transB ? 1 : 0;
  return {
    weightInput: 1,
    outputAxis: transB ? 0 : 1,
    inputAxes: [inputAxis],
    activation: { input: 0, featureAxis: attrInt(node, 'transA', 0) === 1 ? 0 : 1 },
    featureWeightAxis: inputAxis,
    featureOf: identity,
  };
};

/** MatMul: X [..., K] times a weight matrix [K, N] (batched weights are not pruned). */
const matmul: WeightDeclaration = (_node, dims) =>
  dims.length !== 2 ? undefined : { weightInput: 1, outputAxis: 1, inputAxes: [0], activation: { input: 0, featureAxis: -1 }, featureWeightAxis: 0, featureOf: identity };

/**
 * Conv: W [M, C/group, k1, k2, ...]. Columns run over the kernel positions, then the input channels
 * fastest, so N:M groups lie along the input channels at one kernel position, as in the implicit GEMM
 * of NHWC convolutions that sparse tensor cores run (NVIDIA ASP prunes conv weights this way).
 */
const conv: WeightDeclaration = (node, dims) => {
  if (dims.length < 3) return undefined;
  const group = attrInt(node, 'group', 1);
  const outPerGroup = dims[0]! / group;
  const inPerGroup = dims[1]!;
  return {
    weightInput: 1,
    outputAxis: 0,
    inputAxes: [...dims.slice(2).map((_, i) => i + 2), 1],
    activation: { input: 0, featureAxis: 1 },
    featureWeightAxis: 1,
    featureOf: (row, index) => Math.floor(row / outPerGroup) * inPerGroup + index,
  };
};

let registered = false;
export function registerPrunableOps(): void {
  if (registered) return;
  registered = true;
  prunableOps.register('Gemm', gemm).register('MatMul', matmul).register('Conv', conv);
}
