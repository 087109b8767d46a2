import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jitterImages } from '../../src/data/augment.js';
import { Rng } from '../../src/util/random.js';

/** An h x w image whose pixel (y, x) holds 1 + y * w + x, so every shift is identifiable. */
function ramp(h: number, w: number): Float32Array {
  return Float32Array.from({ length: h * w }, (_, i) => i + 1);
}

/** Which (dx, dy) maps `source` to `shifted`, checking the zero fill; undefined when none does. */
function findShift(source: Float32Array, shifted: Float32Array, h: number, w: number, max: number): [number, number] | undefined {
  for (let dy = -max; dy <= max; dy++) {
    for (let dx = -max; dx <= max; dx++) {
      let ok = true;
      for (let y = 0; y < h && ok; y++) {
        for (let x = 0; x < w && ok; x++) {
          const sy = y - dy;
          const sx = x - dx;
          const expected = sy >= 0 && sy < h && sx >= 0 && sx < w ? source[sy * w + sx]! : 0;
          ok = shifted[y * w + x] === expected;
        }
      }
      if (ok) return [dx, dy];
    }
  }
  return undefined;
}

test('each image moves by an integer shift of at most 2 pixels with zero fill, all 25 shifts occur', () => {
  const [h, w, count] = [6, 7, 400];
  const image = ramp(h, w);
  const batch = new Float32Array(count * h * w);
  for (let i = 0; i < count; i++) batch.set(image, i * h * w);
  const output = new Float32Array(batch.length);
  jitterImages(batch, { height: h, width: w, rng: 11, output });
  const shifts = new Set<string>();
  for (let i = 0; i < count; i++) {
    const shift = findShift(image, output.subarray(i * h * w, (i + 1) * h * w), h, w, 2);
    assert.ok(shift, `image ${i} is not a shift of the source`);
    shifts.add(shift.join(','));
  }
  assert.equal(shifts.size, 25);
  assert.deepEqual(batch.subarray(0, h * w), image, 'with an output buffer the input is untouched');
});

test('in place equals into an output buffer for the same seed; seeds differ', () => {
  const batch = Float32Array.from({ length: 8 * 28 * 28 }, (_, i) => (i % 97) / 97);
  const output = new Float32Array(batch.length);
  jitterImages(batch, { height: 28, width: 28, rng: 5, output });
  const inPlace = batch.slice();
  jitterImages(inPlace, { height: 28, width: 28, rng: new Rng(5) });
  assert.deepEqual(inPlace, output);
  const other = jitterImages(batch, { height: 28, width: 28, rng: 6, output: new Float32Array(batch.length) });
  assert.notDeepEqual(other, output);
});

test('the channels of one sample shift together', () => {
  const [h, w] = [5, 5];
  const plane = ramp(h, w);
  const sample = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++) sample.set(plane, c * h * w);
  jitterImages(sample, { height: h, width: w, channels: 3, rng: 2 });
  assert.deepEqual(sample.subarray(0, h * w), sample.subarray(h * w, 2 * h * w));
  assert.deepEqual(sample.subarray(0, h * w), sample.subarray(2 * h * w));
  assert.throws(() => jitterImages(new Float32Array(30), { height: 5, width: 5, rng: 1 }), /not whole 1x5x5 images/);
});
