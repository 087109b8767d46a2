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
import { TanhGrad } from './gradients/Tanh.grad.js';

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
  ['MatMul', MatMulGrad],
  ['Gemm', GemmGrad],
  ['ReduceSum', ReduceSumGrad],
  ['ReduceMean', ReduceMeanGrad],
  ['ReduceMax', ReduceMaxGrad],
];

let registered = false;
export function registerAllGradients(): void {
  if (registered) return;
  for (const [op, rule] of gradientRules) gradientRegistry.register(op, rule);
  registered = true;
}
