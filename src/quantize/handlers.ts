/**
 * Quantization handlers by op type (ORT's quantization tool keeps the same registry): each declares
 * which inputs are activations to quantize, which are weights (with their per-channel axis), which is
 * a bias to store as int32, and how its output is quantized. Shared code reads these properties and
 * never branches on an op's name. Shape-only ops share one pass-through handler.
 */
import { attrInt } from '../onnx/attributes.js';
import type { Graph } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/proto.js';
import { Registry } from '../util/registry.js';

export interface WeightInput {
  index: number;
  /** Output-channel axis for per-channel scales. */
  axis: number;
}

export interface BiasInput {
  index: number;
  /** The activation and weight inputs whose scales multiply into the bias scale. */
  activationInput: number;
  weightInput: number;
}

export interface QuantHandler {
  /** Input indices that may hold activations (initializers among them are left float). */
  activationInputs(node: NodeProto): number[];
  /** Constant weight inputs stored as integers. */
  weightInputs?(node: NodeProto, graph: Graph): WeightInput[];
  bias?(node: NodeProto): BiasInput | undefined;
  /**
   * 'own': the output gets its own calibrated range; 'input': it reuses input 0's scale and zero
   * point (the op only moves or selects values, so requantizing would only add error); 'none'.
   */
  output: 'own' | 'input' | 'none';
  /**
   * An activation whose input, when produced by a quantized op feeding only it, gets no QDQ of its
   * own: the pair goes after the activation (Conv -> Relu -> Q -> DQ), as ORT's tool places it so
   * the runtime can fuse the activation into the integer kernel.
   */
  fusesIntoProducer?: boolean;
}

const matMulLike = (weightIndex: number, axisOf: (node: NodeProto) => number): Pick<QuantHandler, 'activationInputs' | 'weightInputs'> => ({
  activationInputs: () => [0, 1],
  weightInputs: (node) => [{ index: weightIndex, axis: axisOf(node) }],
});

/** Conv weight [M, C/group, kH, kW]: one scale per output channel, axis 0. */
const conv: QuantHandler = {
  activationInputs: () => [0],
  weightInputs: () => [{ index: 1, axis: 0 }],
  bias: (node) => (node.input[2] ? { index: 2, activationInput: 0, weightInput: 1 } : undefined),
  output: 'own',
};

/** Gemm B is [N, K] with transB=1 (axis 0 indexes outputs) and [K, N] otherwise (axis 1). */
const gemm: QuantHandler = {
  ...matMulLike(1, (node) => (attrInt(node, 'transB', 0) === 1 ? 0 : 1)),
  bias: (node) => (node.input[2] ? { index: 2, activationInput: 0, weightInput: 1 } : undefined),
  output: 'own',
};

/** MatMul weight [K, N]: one scale per output column, axis 1. */
const matMul: QuantHandler = { ...matMulLike(1, () => 1), output: 'own' };

const elementwise: QuantHandler = { activationInputs: (node) => node.input.map((_, i) => i), output: 'own' };
const ownOutput: QuantHandler = { activationInputs: () => [0], output: 'own' };
const activation: QuantHandler = { activationInputs: () => [0], output: 'own', fusesIntoProducer: true };
/** Reshape, Flatten, Transpose, Squeeze, Unsqueeze, MaxPool: values move, their scale stays. */
const passThrough: QuantHandler = { activationInputs: () => [0], output: 'input' };

export const quantHandlers = new Registry<QuantHandler>('quantization handler')
  .register('Conv', conv)
  .register('Gemm', gemm)
  .register('MatMul', matMul)
  .register('Add', elementwise)
  .register('Mul', elementwise)
  .register('Concat', elementwise)
  .register('AveragePool', ownOutput)
  .register('GlobalAveragePool', ownOutput)
  .register('Relu', activation)
  .register('Clip', activation)
  .register('MaxPool', passThrough)
  .register('Reshape', passThrough)
  .register('Flatten', passThrough)
  .register('Transpose', passThrough)
  .register('Squeeze', passThrough)
  .register('Unsqueeze', passThrough)
  .register('Identity', passThrough);
