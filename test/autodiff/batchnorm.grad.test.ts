import { test } from 'node:test';
import type { Attrs } from '../../src/onnx/attributes.js';
import { checkOpGradient, type OpInput } from '../helpers/opGradCheck.js';

/** X, scale, B, then mean and var held constant (no gradient flows into them). */
function inputs(x: number[]): OpInput[] {
  const c = [x[1]!];
  return [
    { dims: x },
    { dims: c },
    { dims: c },
    { dims: c, constant: true },
    { dims: c, constant: true, transform: (v) => Math.abs(v) + 0.5 },
  ];
}

for (const x of [[2, 3, 3, 3], [2, 3, 5], [4, 3]]) {
  test(`BatchNormalization gradient, inference form ${JSON.stringify(x)}`, async () => {
    await checkOpGradient({ opType: 'BatchNormalization', inputs: inputs(x), attrs: { epsilon: { float: 1e-3 } }, opset: 15 });
    await checkOpGradient({ opType: 'BatchNormalization', inputs: inputs(x), opset: 11 });
  });
}

// Training form: Y from batch statistics, and the running statistics in the loss too. ORT's
// training-mode kernel computes a wrong Y when running_mean/running_var are left unconsumed, so
// these checks keep all three outputs (as a training graph that updates its statistics does).
const training: [string, number, Attrs][] = [
  ['training_mode=1 (opset 15)', 15, { training_mode: 1, momentum: { float: 0.8 } }],
  ['extra outputs (opset 12)', 12, { epsilon: { float: 1e-3 } }],
];
for (const [form, opset, attrs] of training) {
  for (const x of [[2, 3, 3, 3], [3, 2, 4]]) {
    test(`BatchNormalization gradient, training form with ${form} ${JSON.stringify(x)}`, async () => {
      await checkOpGradient({ opType: 'BatchNormalization', inputs: inputs(x), attrs, opset, outputs: 3 });
    });
  }
}
