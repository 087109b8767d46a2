import { test } from 'node:test';
import { float } from '../../src/onnx/attributes.js';
import { checkOpGradient } from '../helpers/opGradCheck.js';

test('LayerNormalization gradient over the last axis, with and without bias', async () => {
  await checkOpGradient({ opType: 'LayerNormalization', inputs: [{ dims: [2, 3, 4] }, { dims: [4] }, { dims: [4] }] });
  await checkOpGradient({ opType: 'LayerNormalization', inputs: [{ dims: [3, 5] }, { dims: [5] }] });
});

test('LayerNormalization gradient over several trailing axes, epsilon', async () => {
  await checkOpGradient({ opType: 'LayerNormalization', inputs: [{ dims: [2, 3, 4] }, { dims: [3, 4] }, { dims: [3, 4] }], attrs: { axis: 1 } });
  await checkOpGradient({
    opType: 'LayerNormalization',
    inputs: [{ dims: [2, 3, 4] }, { dims: [3, 4] }, { dims: [3, 4] }],
    attrs: { axis: -2, epsilon: float(0.1) },
  });
});

test('LayerNormalization gradient with Scale fixed (only X and B differentiated)', async () => {
  await checkOpGradient({ opType: 'LayerNormalization', inputs: [{ dims: [2, 4] }, { dims: [4], constant: true }, { dims: [4] }] });
});

test('LayerNormalization gradient through the Mean and InvStdDev outputs', async () => {
  await checkOpGradient({ opType: 'LayerNormalization', outputs: 3, inputs: [{ dims: [2, 3, 4] }, { dims: [4] }, { dims: [4] }] });
  await checkOpGradient({ opType: 'LayerNormalization', outputs: 3, inputs: [{ dims: [2, 3, 4] }, { dims: [3, 4] }], attrs: { axis: 1 } });
});
