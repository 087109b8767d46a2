import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Attrs } from '../../src/onnx/attributes.js';
import { checkOpGradient } from '../helpers/opGradCheck.js';

interface PoolCase { name: string; x: number[]; attrs: Attrs; opsets: number[] }

// Random inputs have no ties; a max-pool tie would make the gradient a subgradient choice.
const maxPoolCases: PoolCase[] = [
  { name: 'kernel 2, stride 2 (disjoint windows)', x: [2, 2, 4, 4], attrs: { kernel_shape: [2, 2], strides: [2, 2] }, opsets: [11, 17] },
  { name: 'kernel 3, stride 2, pads 1 (overlapping windows)', x: [2, 2, 5, 5], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, opsets: [16] },
  { name: 'ceil_mode, asymmetric pads', x: [1, 2, 6, 6], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 1, 1, 0], ceil_mode: 1 }, opsets: [17] },
  { name: 'dilation 2', x: [1, 2, 6, 6], attrs: { kernel_shape: [2, 2], dilations: [2, 2] }, opsets: [17] },
  { name: '1-D, kernel 3, stride 2, pads 1', x: [2, 3, 7], attrs: { kernel_shape: [3], strides: [2], pads: [1, 1] }, opsets: [18] },
  { name: 'auto_pad SAME_UPPER', x: [1, 2, 5, 5], attrs: { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }, opsets: [17] },
];

for (const c of maxPoolCases) {
  test(`MaxPool gradient: ${c.name}, opsets ${c.opsets.join(', ')}`, async () => {
    for (const opset of c.opsets) await checkOpGradient({ opType: 'MaxPool', inputs: [{ dims: c.x }], attrs: c.attrs, opset });
  });
}

test('MaxPool gradient with overlapping windows before opset 16 fails, naming the node and the opset', async () => {
  await assert.rejects(
    checkOpGradient({ opType: 'MaxPool', inputs: [{ dims: [1, 1, 5, 5] }], attrs: { kernel_shape: [3, 3], strides: [2, 2] }, opset: 15 }),
    /MaxPool node "op".*opset 16/,
  );
});

const averagePoolCases: PoolCase[] = [
  { name: 'kernel 2, stride 2', x: [2, 2, 4, 4], attrs: { kernel_shape: [2, 2], strides: [2, 2] }, opsets: [11, 17] },
  { name: 'kernel 3, stride 2, pads 1, count_include_pad 0', x: [2, 2, 5, 5], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, opsets: [17] },
  { name: 'kernel 3, stride 2, pads 1, count_include_pad 1', x: [2, 2, 5, 5], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 }, opsets: [17] },
  { name: 'ceil_mode, asymmetric pads, count_include_pad 0', x: [1, 2, 6, 6], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 1, 1, 0], ceil_mode: 1 }, opsets: [17] },
  { name: 'ceil_mode, asymmetric pads, count_include_pad 1', x: [1, 2, 6, 6], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 1, 1, 0], ceil_mode: 1, count_include_pad: 1 }, opsets: [17] },
  { name: '1-D, kernel 3, stride 2, pads 1', x: [2, 2, 7], attrs: { kernel_shape: [3], strides: [2], pads: [1, 1] }, opsets: [13] },
  { name: 'dilation 2, pads 1 (opset 19)', x: [1, 2, 6, 6], attrs: { kernel_shape: [2, 2], dilations: [2, 2], pads: [1, 1, 1, 1] }, opsets: [19] },
  { name: 'auto_pad SAME_LOWER', x: [1, 2, 5, 5], attrs: { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'SAME_LOWER' }, opsets: [17] },
];

for (const c of averagePoolCases) {
  test(`AveragePool gradient: ${c.name}, opsets ${c.opsets.join(', ')}`, async () => {
    for (const opset of c.opsets) await checkOpGradient({ opType: 'AveragePool', inputs: [{ dims: c.x }], attrs: c.attrs, opset });
  });
}

for (const dims of [[2, 3, 4, 4], [2, 3, 5], [1, 2, 1, 1]]) {
  test(`GlobalAveragePool and GlobalMaxPool gradients ${JSON.stringify(dims)}`, async () => {
    await checkOpGradient({ opType: 'GlobalAveragePool', inputs: [{ dims }] });
    // ORT has no float64 GlobalMaxPool: the float32 check steps by 0.01, so keep values 0.05 apart.
    const count = dims.reduce((a, d) => a * d, 1);
    const values = Array.from({ length: count }, (_, i) => ((i * 37) % count) * 0.05 - 1);
    await checkOpGradient({ opType: 'GlobalMaxPool', inputs: [{ dims, values }] });
  });
}
