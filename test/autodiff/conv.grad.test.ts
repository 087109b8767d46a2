import { test } from 'node:test';
import type { Attrs } from '../../src/onnx/attributes.js';
import { checkOpGradient } from '../helpers/opGradCheck.js';

interface ConvCase { name: string; x: number[]; w: number[]; bias?: number; attrs: Attrs; opset?: number }

// Tiny shapes: the finite-difference check costs two ORT runs per input element.
const convCases: ConvCase[] = [
  { name: '2-D, pads 1, bias', x: [2, 2, 5, 5], w: [3, 2, 3, 3], bias: 3, attrs: { pads: [1, 1, 1, 1] } },
  { name: '2-D, stride 2 with a skipped trailing row (output_padding 1)', x: [1, 2, 6, 6], w: [2, 2, 3, 3], attrs: { strides: [2, 2] } },
  { name: '2-D, asymmetric pads, stride 2', x: [2, 2, 5, 6], w: [2, 2, 3, 3], bias: 2, attrs: { strides: [2, 2], pads: [1, 0, 0, 2] } },
  { name: '2-D, dilation 2', x: [1, 2, 6, 6], w: [2, 2, 2, 2], attrs: { dilations: [2, 2] } },
  { name: '2-D, dilation and stride mixed per axis, remainder >= dilation', x: [1, 2, 9, 6], w: [2, 2, 2, 3], attrs: { dilations: [2, 1], strides: [3, 2], pads: [1, 1, 1, 1] } },
  { name: 'group 2, stride 2, pads 1', x: [2, 4, 5, 5], w: [4, 2, 3, 3], bias: 4, attrs: { group: 2, strides: [2, 2], pads: [1, 1, 1, 1] } },
  { name: 'depthwise (group = C_in = C_out)', x: [2, 3, 5, 5], w: [3, 1, 3, 3], bias: 3, attrs: { group: 3, pads: [1, 1, 1, 1] } },
  { name: 'depthwise with channel multiplier 2, stride 2', x: [1, 3, 5, 5], w: [6, 1, 3, 3], attrs: { group: 3, strides: [2, 2] } },
  { name: '1-D, stride 2, dilation 2, asymmetric pads', x: [2, 3, 7], w: [4, 3, 3], bias: 4, attrs: { strides: [2], dilations: [2], pads: [1, 0] } },
  { name: 'auto_pad SAME_UPPER, stride 2 (odd total pad)', x: [1, 2, 6, 6], w: [2, 2, 3, 3], attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] } },
  { name: 'auto_pad SAME_LOWER, stride 2 (odd total pad)', x: [1, 2, 6, 6], w: [2, 2, 3, 3], attrs: { auto_pad: 'SAME_LOWER', strides: [2, 2] } },
  { name: 'auto_pad VALID, opset 11', x: [2, 2, 5, 5], w: [2, 2, 3, 3], bias: 2, attrs: { auto_pad: 'VALID' }, opset: 11 },
];

for (const c of convCases) {
  test(`Conv gradient: ${c.name}`, async () => {
    const inputs = [{ dims: c.x }, { dims: c.w }, ...(c.bias ? [{ dims: [c.bias] }] : [])];
    await checkOpGradient({ opType: 'Conv', inputs, attrs: c.attrs, opset: c.opset });
  });
}

const convTransposeCases: ConvCase[] = [
  { name: '2-D, stride 2, pads 1, output_padding 1, bias', x: [2, 3, 3, 3], w: [3, 2, 3, 3], bias: 2, attrs: { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] } },
  { name: 'group 2, stride 2', x: [1, 4, 3, 3], w: [4, 1, 3, 3], attrs: { group: 2, strides: [2, 2] } },
  { name: '1-D, dilation 2, asymmetric pads', x: [2, 2, 4], w: [2, 3, 3], bias: 3, attrs: { dilations: [2], pads: [1, 2] } },
  { name: 'output_shape with odd total padding', x: [1, 2, 3, 3], w: [2, 2, 3, 3], attrs: { strides: [2, 2], output_shape: [6, 6] } },
  { name: 'auto_pad SAME_UPPER (odd total padding)', x: [1, 2, 3, 3], w: [2, 2, 3, 3], attrs: { strides: [2, 2], auto_pad: 'SAME_UPPER' } },
  { name: 'auto_pad SAME_LOWER (odd total padding)', x: [1, 2, 3, 3], w: [2, 2, 3, 3], attrs: { strides: [2, 2], auto_pad: 'SAME_LOWER' } },
  { name: 'opset 11, stride 3', x: [1, 2, 3, 2], w: [2, 2, 2, 2], bias: 2, attrs: { strides: [3, 3], pads: [0, 1, 1, 0] }, opset: 11 },
];

for (const c of convTransposeCases) {
  test(`ConvTranspose gradient: ${c.name}`, async () => {
    const inputs = [{ dims: c.x }, { dims: c.w }, ...(c.bias ? [{ dims: [c.bias] }] : [])];
    await checkOpGradient({ opType: 'ConvTranspose', inputs, attrs: c.attrs, opset: c.opset });
  });
}
