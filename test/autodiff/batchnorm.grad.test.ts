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

// Training form: Y from batch statistics, with the running (and, before opset 14, saved) statistics
// in the loss too. Two ORT 1.30 defects shape these checks: ORT requires 3 outputs with
// training_mode=1 (and 1 or 5 before opset 14), and when mean/var are initializers and running_mean/
// running_var are not graph outputs, ORT writes the running statistics into the initializers in place
// and returns a wrong Y. So mean/var are fed as graph inputs here; they carry no gradient, which
// central differences agree with only at momentum 0 (running stats then ignore them).
const training: [string, number, number][] = [
  ['training_mode=1 (opset 15)', 15, 3],
  ['extra outputs incl. saved_mean/saved_var (opset 12)', 12, 5],
];
for (const [form, opset, outputs] of training) {
  for (const x of [[2, 3, 3, 3], [3, 2, 4]]) {
    test(`BatchNormalization gradient, training form with ${form} ${JSON.stringify(x)}`, async () => {
      const fed = inputs(x).map(({ constant: _, ...input }) => input);
      const attrs: Attrs = { momentum: { float: 0 }, epsilon: { float: 1e-3 }, training_mode: opset >= 14 ? 1 : undefined };
      await checkOpGradient({ opType: 'BatchNormalization', inputs: fed, attrs, opset, outputs });
    });
  }
}
