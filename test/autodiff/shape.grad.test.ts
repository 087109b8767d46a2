import { test } from 'node:test';
import { checkOpGradient } from '../helpers/opGradCheck.js';

const int64 = (values: number[]) => ({ dims: [values.length], type: 'int64' as const, values });

test('Reshape gradient, including -1 and 0 in the target shape', async () => {
  await checkOpGradient({ opType: 'Reshape', inputs: [{ dims: [2, 3, 4] }, int64([6, 4])] });
  await checkOpGradient({ opType: 'Reshape', inputs: [{ dims: [2, 3, 4] }, int64([0, -1])] });
  await checkOpGradient({ opType: 'Reshape', inputs: [{ dims: [1] }, int64([])] });
});

test('Flatten gradient at several axes', async () => {
  for (const axis of [0, 1, 2, -1]) await checkOpGradient({ opType: 'Flatten', inputs: [{ dims: [2, 3, 4] }], attrs: { axis } });
});

test('Squeeze and Unsqueeze gradients, attribute form (opset 12) and input form (opset 13)', async () => {
  await checkOpGradient({ opType: 'Squeeze', opset: 12, inputs: [{ dims: [2, 1, 3, 1] }], attrs: { axes: [1, -1] } });
  await checkOpGradient({ opType: 'Squeeze', opset: 13, inputs: [{ dims: [2, 1, 3, 1] }, int64([1, -1])] });
  await checkOpGradient({ opType: 'Squeeze', opset: 13, inputs: [{ dims: [1, 3, 1] }] });
  await checkOpGradient({ opType: 'Unsqueeze', opset: 12, inputs: [{ dims: [2, 3] }], attrs: { axes: [0, 3] } });
  await checkOpGradient({ opType: 'Unsqueeze', opset: 13, inputs: [{ dims: [2, 3] }, int64([0, -1])] });
  await checkOpGradient({ opType: 'Unsqueeze', opset: 13, inputs: [{ dims: [] }, int64([0])] });
});

test('Transpose gradient with a permutation and with the default reversal', async () => {
  await checkOpGradient({ opType: 'Transpose', inputs: [{ dims: [2, 3, 4] }], attrs: { perm: [1, 2, 0] } });
  await checkOpGradient({ opType: 'Transpose', inputs: [{ dims: [2, 3, 4] }], attrs: { perm: [2, 0, 1] } });
  await checkOpGradient({ opType: 'Transpose', inputs: [{ dims: [2, 3, 4] }] });
  await checkOpGradient({ opType: 'Transpose', inputs: [{ dims: [3, 5] }] });
});

test('Expand gradient sums over the broadcast axes', async () => {
  await checkOpGradient({ opType: 'Expand', inputs: [{ dims: [3, 1] }, int64([2, 3, 4])] });
  await checkOpGradient({ opType: 'Expand', inputs: [{ dims: [] }, int64([2, 3])] });
  await checkOpGradient({ opType: 'Expand', inputs: [{ dims: [2, 1, 4] }, int64([3, 1])] });
  await checkOpGradient({ opType: 'Expand', inputs: [{ dims: [2, 3] }, int64([2, 3])] });
});
