/** Coupling rules by ONNX op type (default domain). An op without a rule blocks any group that reaches it. */
import { Registry } from '../../../util/registry.js';
import type { CouplingRule } from '../coupling.js';
import { convRule, gemmRule, matMulRule } from './contraction.js';
import { dropoutRule, elementwiseRule } from './elementwise.js';
import { concatRule, flattenRule, padRule, perChannelRule, poolRule, softmaxRule, splitRule, transposeRule } from './layout.js';

const ELEMENTWISE = [
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Where', 'PRelu',
  'Relu', 'LeakyRelu', 'Tanh', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Erf', 'Gelu', 'Elu', 'Selu', 'Softplus',
  'Identity', 'Abs', 'Neg', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Clip', 'Cast', 'Not', 'Equal', 'Less', 'Greater',
];

export const couplingRules = new Registry<CouplingRule>('channel coupling rule')
  .register('Conv', convRule)
  .register('Gemm', gemmRule)
  .register('MatMul', matMulRule)
  .register('Dropout', dropoutRule)
  .register('BatchNormalization', perChannelRule)
  .register('InstanceNormalization', perChannelRule)
  .register('MaxPool', poolRule)
  .register('AveragePool', poolRule)
  .register('GlobalAveragePool', poolRule)
  .register('GlobalMaxPool', poolRule)
  .register('LpPool', poolRule)
  .register('Pad', padRule)
  .register('Flatten', flattenRule)
  .register('Transpose', transposeRule)
  .register('Concat', concatRule)
  .register('Split', splitRule)
  .register('Softmax', softmaxRule)
  .register('LogSoftmax', softmaxRule);
for (const op of ELEMENTWISE) couplingRules.register(op, elementwiseRule);
