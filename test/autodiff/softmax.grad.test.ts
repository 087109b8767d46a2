import { test } from 'node:test';
import { checkOpGradient } from '../helpers/opGradCheck.js';

// Before opset 13 the input is coerced to 2D at `axis`; from 13 a single axis is normalized.
for (const opType of ['Softmax', 'LogSoftmax']) {
  for (const opset of [12, 13]) {
    test(`${opType} gradient, opset ${opset}, several axes`, async () => {
      for (const axis of [0, 1, -1]) await checkOpGradient({ opType, opset, inputs: [{ dims: [2, 3, 4] }], attrs: { axis } });
      await checkOpGradient({ opType, opset, inputs: [{ dims: [2, 5] }] });
      await checkOpGradient({ opType, opset, inputs: [{ dims: [4] }], attrs: { axis: 0 } });
    });
  }
}
