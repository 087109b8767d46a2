/**
 * Every gradient rule, registered explicitly in one list (no side-effect imports). Call once;
 * `registerAllGradients()` is idempotent.
 */
import { gradientRegistry } from './registry.js';
import type { GradientRule } from './rule.js';
import { AddGrad, SubGrad, SumGrad } from './gradients/Add.grad.js';
import { DivGrad } from './gradients/Div.grad.js';
import { GemmGrad } from './gradients/Gemm.grad.js';
import { IdentityGrad } from './gradients/Identity.grad.js';
import { MatMulGrad } from './gradients/MatMul.grad.js';
import { MulGrad } from './gradients/Mul.grad.js';
import { NegGrad } from './gradients/Neg.grad.js';
import { ReduceMaxGrad, ReduceMeanGrad, ReduceSumGrad } from './gradients/Reduce.grad.js';
import { ReluGrad } from './gradients/Relu.grad.js';
import { RoundGrad } from './gradients/Round.grad.js';
import { TanhGrad } from './gradients/Tanh.grad.js';
import { BatchNormalizationGrad } from './gradients/BatchNormalization.grad.js';
import { ConvGrad, ConvTransposeGrad } from './gradients/Conv.grad.js';
import { AveragePoolGrad, GlobalAveragePoolGrad, GlobalMaxPoolGrad, MaxPoolGrad } from './gradients/Pool.grad.js';
import { AbsGrad } from './gradients/Abs.grad.js';
import { CastGrad } from './gradients/Cast.grad.js';
import { ClipGrad } from './gradients/Clip.grad.js';
import { DropoutGrad } from './gradients/Dropout.grad.js';
import { EluGrad } from './gradients/Elu.grad.js';
import { ErfGrad } from './gradients/Erf.grad.js';
import { ExpGrad } from './gradients/Exp.grad.js';
import { GeluGrad } from './gradients/Gelu.grad.js';
import { HardSigmoidGrad } from './gradients/HardSigmoid.grad.js';
import { HardSwishGrad } from './gradients/HardSwish.grad.js';
import { LeakyReluGrad } from './gradients/LeakyRelu.grad.js';
import { LogGrad } from './gradients/Log.grad.js';
import { MaxGrad, MinGrad } from './gradients/Max.grad.js';
import { PowGrad } from './gradients/Pow.grad.js';
import { ReciprocalGrad } from './gradients/Reciprocal.grad.js';
import { SeluGrad } from './gradients/Selu.grad.js';
import { SigmoidGrad } from './gradients/Sigmoid.grad.js';
import { SoftplusGrad } from './gradients/Softplus.grad.js';
import { SqrtGrad } from './gradients/Sqrt.grad.js';
import { WhereGrad } from './gradients/Where.grad.js';
import { ConcatGrad } from './gradients/Concat.grad.js';
import { ExpandGrad } from './gradients/Expand.grad.js';
import { GatherGrad } from './gradients/Gather.grad.js';
import { LayerNormalizationGrad } from './gradients/LayerNormalization.grad.js';
import { NonDifferentiableGrad } from './gradients/NonDifferentiable.grad.js';
import { PadGrad } from './gradients/Pad.grad.js';
import { FlattenGrad, ReshapeGrad, SqueezeGrad, UnsqueezeGrad } from './gradients/Reshape.grad.js';
import { SliceGrad } from './gradients/Slice.grad.js';
import { LogSoftmaxGrad, SoftmaxGrad } from './gradients/Softmax.grad.js';
import { SplitGrad } from './gradients/Split.grad.js';
import { TransposeGrad } from './gradients/Transpose.grad.js';

export const gradientRules: ReadonlyArray<[string, GradientRule]> = [
  ['Add', AddGrad],
  ['Sub', SubGrad],
  ['Sum', SumGrad],
  ['Mul', MulGrad],
  ['Div', DivGrad],
  ['Neg', NegGrad],
  ['Identity', IdentityGrad],
  ['Relu', ReluGrad],
  ['Tanh', TanhGrad],
  ['Conv', ConvGrad],
  ['ConvTranspose', ConvTransposeGrad],
  ['MaxPool', MaxPoolGrad],
  ['AveragePool', AveragePoolGrad],
  ['GlobalAveragePool', GlobalAveragePoolGrad],
  ['GlobalMaxPool', GlobalMaxPoolGrad],
  ['BatchNormalization', BatchNormalizationGrad],
  ['MatMul', MatMulGrad],
  ['Gemm', GemmGrad],
  ['ReduceSum', ReduceSumGrad],
  ['ReduceMean', ReduceMeanGrad],
  ['ReduceMax', ReduceMaxGrad],
  // Elementwise math and activations.
  ['Pow', PowGrad],
  ['Sqrt', SqrtGrad],
  ['Exp', ExpGrad],
  ['Log', LogGrad],
  ['Abs', AbsGrad],
  ['Reciprocal', ReciprocalGrad],
  ['Erf', ErfGrad],
  ['LeakyRelu', LeakyReluGrad],
  ['Sigmoid', SigmoidGrad],
  ['HardSigmoid', HardSigmoidGrad],
  ['HardSwish', HardSwishGrad],
  ['Clip', ClipGrad],
  // Straight-through estimator (quantization-aware training).
  ['Round', RoundGrad],
  ['Softplus', SoftplusGrad],
  ['Gelu', GeluGrad],
  ['com.microsoft:Gelu', GeluGrad],
  ['Elu', EluGrad],
  ['Selu', SeluGrad],
  ['Where', WhereGrad],
  ['Cast', CastGrad],
  ['Max', MaxGrad],
  ['Min', MinGrad],
  ['Dropout', DropoutGrad],
  // Data movement, softmax family, layer norm.
  ['Reshape', ReshapeGrad],
  ['Flatten', FlattenGrad],
  ['Squeeze', SqueezeGrad],
  ['Unsqueeze', UnsqueezeGrad],
  ['Transpose', TransposeGrad],
  ['Concat', ConcatGrad],
  ['Split', SplitGrad],
  ['Slice', SliceGrad],
  ['Gather', GatherGrad],
  ['Expand', ExpandGrad],
  ['Pad', PadGrad],
  ['Softmax', SoftmaxGrad],
  ['LogSoftmax', LogSoftmaxGrad],
  ['LayerNormalization', LayerNormalizationGrad],
  // Integer, boolean and shape ops: no gradient flows through them.
  ['Shape', NonDifferentiableGrad],
  ['Size', NonDifferentiableGrad],
  ['Range', NonDifferentiableGrad],
  ['ConstantOfShape', NonDifferentiableGrad],
  ['Equal', NonDifferentiableGrad],
  ['Not', NonDifferentiableGrad],
  ['Less', NonDifferentiableGrad],
  ['Greater', NonDifferentiableGrad],
  ['And', NonDifferentiableGrad],
  ['Or', NonDifferentiableGrad],
  ['ArgMax', NonDifferentiableGrad],
  ['ArgMin', NonDifferentiableGrad],
  ['NonZero', NonDifferentiableGrad],
  ['Constant', NonDifferentiableGrad],
];

let registered = false;
export function registerAllGradients(): void {
  if (registered) return;
  for (const [op, rule] of gradientRules) gradientRegistry.register(op, rule);
  registered = true;
}
