import { test } from 'node:test';
import { checkOpGradient } from '../helpers/opGradCheck.js';

for (const opType of ['ReduceSum', 'ReduceMean', 'ReduceMax']) {
  const axesAsInput = opType === 'ReduceSum' ? 13 : 18;
  for (const [axes, keepdims] of [[[1], 1], [[0, 2], 0], [[-1], 1]] as [number[], number][]) {
    test(`${opType} gradient axes=${JSON.stringify(axes)} keepdims=${keepdims}, attribute and input forms`, async () => {
      await checkOpGradient({ opType, opset: axesAsInput - 1, inputs: [{ dims: [2, 3, 4] }], attrs: { axes, keepdims } });
      await checkOpGradient({ opType, opset: axesAsInput, inputs: [{ dims: [2, 3, 4] }, { dims: [axes.length], type: 'int64', values: axes }], attrs: { keepdims } });
    });
  }
  test(`${opType} gradient over all axes to a scalar`, async () => {
    await checkOpGradient({ opType, inputs: [{ dims: [3, 2] }], attrs: { keepdims: 0 } });
  });
}
