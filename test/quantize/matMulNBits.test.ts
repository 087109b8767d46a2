import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTensor } from '../../src/onnx/tensor.js';
import { floatTensor } from '../../src/runtime/tensors.js';
import { dequantizeBlocks, packCodes, packZeroPoints, quantizeBlocks } from '../../src/quantize/blockQuant.js';
import { gptqQuantizeBlocks, HessianAccumulator } from '../../src/quantize/gptq.js';
import { quantizeWeightOnly } from '../../src/quantize/weightOnly.js';
import { transpose2d } from '../../src/quantize/matMulForm.js';
import { Rng } from '../../src/util/random.js';
import { matMulModel, maxAbsDiff, runFirstOutput } from './helpers.js';

test('4-bit symmetric packing matches a hand-packed block', () => {
  // One row, K = 16: values -7..7 and 0 with absmax 7 -> scale 1, codes v + 8.
  const row = Float32Array.from([-7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 0]);
  const q = quantizeBlocks(row, 1, 16, { bits: 4, blockSize: 16, symmetric: true });
  assert.deepEqual([...q.scales], [1]);
  assert.deepEqual([...q.codes], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 8]);
  // Low nibble first: (1 | 2<<4) = 0x21, (3 | 4<<4) = 0x43, ...
  assert.deepEqual([...packCodes(q.codes, 4)], [0x21, 0x43, 0x65, 0x87, 0xa9, 0xcb, 0xed, 0x8f]);
  const asym = quantizeBlocks(Float32Array.from({ length: 48 }, (_, i) => i), 1, 48, { bits: 4, blockSize: 16, symmetric: false });
  // Three blocks of non-negative values: zero points 0, 0, 0 -> packed per row ceil(3/2) = 2 bytes.
  assert.deepEqual([...packZeroPoints(asym)], [0, 0]);
});

for (const scheme of [
  { bits: 4, blockSize: 32, symmetric: true },
  { bits: 4, blockSize: 32, symmetric: false },
  { bits: 8, blockSize: 64, symmetric: false },
  { bits: 4, blockSize: 128, symmetric: true },
] as const) {
  test(`MatMulNBits ${JSON.stringify(scheme)} in ORT equals the dequantized reference matmul (K not a block multiple)`, async () => {
    const rng = new Rng(21);
    const [k, n, m] = [80, 12, 3];
    const weight = Float32Array.from({ length: k * n }, () => rng.next() * 2 - 1.2);
    const model = matMulModel(makeTensor('w', [k, n], weight), k, n);
    const x = Float32Array.from({ length: m * k }, () => rng.next() - 0.5);
    const quantized = await quantizeWeightOnly(model, { method: 'weight-only', ...scheme, algorithm: { kind: 'rtn' } });
    assert.equal(quantized.model.graph!.node[0]!.opType, 'MatMulNBits');
    const got = await runFirstOutput(quantized.model, { x: floatTensor(x, [m, k]) });
    const reference = dequantizeBlocks(quantizeBlocks(transpose2d(weight, k, n), n, k, scheme));
    const expected = new Float32Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) expected[i * n + j]! += x[i * k + p]! * reference[j * k + p]!;
    const diff = maxAbsDiff(got, expected);
    assert.ok(diff < 1e-4, `max |ORT - reference| = ${diff}`);
  });
}

test('GPTQ lowers the layer output error against round-to-nearest on correlated inputs', () => {
  const rng = new Rng(9);
  const [k, n, rows] = [64, 16, 512];
  const weight = Float32Array.from({ length: n * k }, () => rng.next() * 2 - 1);
  // Correlated inputs: x = z · A with a fixed random mixing A.
  const mix = Float32Array.from({ length: k * k }, () => rng.next() - 0.5);
  const x = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const z = Float32Array.from({ length: k }, () => rng.next() - 0.5);
    for (let j = 0; j < k; j++) for (let p = 0; p < k; p++) x[r * k + j]! += z[p]! * mix[p * k + j]!;
  }
  const h = new HessianAccumulator(k);
  h.add(x);
  const scheme = { bits: 4, blockSize: 32, symmetric: true } as const;
  const outputError = (w: Float32Array): number => {
    let e = 0;
    for (let r = 0; r < rows; r++) for (let o = 0; o < n; o++) {
      let d = 0;
      for (let p = 0; p < k; p++) d += x[r * k + p]! * (w[o * k + p]! - weight[o * k + p]!);
      e += d * d;
    }
    return e;
  };
  const rtn = outputError(dequantizeBlocks(quantizeBlocks(weight, n, k, scheme)));
  const gptq = outputError(dequantizeBlocks(gptqQuantizeBlocks(weight, n, k, h.hessian(), scheme, 0.01)));
  console.log(`output squared error: RTN ${rtn.toFixed(3)}, GPTQ ${gptq.toFixed(3)}`);
  assert.ok(gptq < rtn, `GPTQ ${gptq} >= RTN ${rtn}`);
});
