import { test } from 'node:test';
import assert from 'node:assert/strict';
import { affineParams, dequantizeTensor, integerRange, quantizeTensor, roundHalfEven } from '../../src/quantize/affine.js';
import { Rng } from '../../src/util/random.js';

test('round half to even, as QuantizeLinear', () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 2.4].map(roundHalfEven), [0, 2, 2, -0, -2, 2]);
});

test('asymmetric uint8 covers [min, max] with 0 exact; symmetric int8 has zero point 0', () => {
  const u = affineParams(-1, 3, integerRange('uint8', false), false);
  assert.ok(Math.abs(u.scale - 4 / 255) < 1e-7);
  assert.equal(u.zeroPoint, 64);
  const s = affineParams(-1, 3, integerRange('int8', true), true);
  assert.ok(Math.abs(s.scale - 3 / 127) < 1e-7);
  assert.equal(s.zeroPoint, 0);
  assert.equal(affineParams(0, 0, integerRange('int8', true), true).scale, 1);
});

test('round trip error is at most half a step for in-range values (per-tensor and per-channel)', () => {
  const rng = new Rng(11);
  const dims = [4, 3, 2, 2];
  const data = Float32Array.from({ length: 48 }, (_, i) => (rng.next() - 0.5) * (1 + Math.floor(i / 12) * 10));
  for (const q of [{ type: 'int8', symmetric: true }, { type: 'uint8', symmetric: false }, { type: 'int8', symmetric: true, axis: 0 }] as const) {
    const t = quantizeTensor(data, dims, q);
    const back = dequantizeTensor(t);
    for (let i = 0; i < data.length; i++) {
      const c = q.axis === undefined ? 0 : Math.floor(i / 12);
      assert.ok(Math.abs(back[i]! - data[i]!) <= t.scales[c]! / 2 + 1e-6, `${JSON.stringify(q)} element ${i}: ${data[i]} -> ${back[i]}`);
    }
  }
});

test('per-channel scales are max|w_c| / 127 along the axis', () => {
  const data = Float32Array.of(1, -2, 0.5, 0.25, 10, -3);
  const t = quantizeTensor(data, [3, 2], { type: 'int8', symmetric: true, axis: 0 });
  assert.deepEqual([...t.scales], [2 / 127, 0.5 / 127, 10 / 127].map(Math.fround));
  assert.deepEqual([...t.codes], [64, -127, 127, 64, 127, -38]);
  const cols = quantizeTensor(data, [3, 2], { type: 'int8', symmetric: true, axis: 1 });
  assert.deepEqual([...cols.scales], [10 / 127, 3 / 127].map(Math.fround));
});
