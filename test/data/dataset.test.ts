import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDataset, reshapeInputs, selectSamples, splitValidation, subset, type Dataset } from '../../src/data/dataset.js';
import { isRetortError } from '../../src/util/errors.js';

/** n samples of [2] whose inputs encode their index: sample i = [i, i + 0.5], label i % 3. */
function indexed(n: number): Dataset {
  const inputs = new Float32Array(2 * n);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    inputs[2 * i] = i;
    inputs[2 * i + 1] = i + 0.5;
    labels[i] = i % 3;
  }
  return makeDataset({ name: 'toy', inputs, inputDims: [2], labels, numClasses: 3 });
}

const code = (c: string) => (e: unknown) => isRetortError(e) && e.code === c;

test('makeDataset checks that inputs, dims and labels agree', () => {
  assert.equal(indexed(5).length, 5);
  assert.throws(() => makeDataset({ name: 'x', inputs: new Float32Array(5), inputDims: [2], labels: new Uint8Array(3), numClasses: 3 }), code('DATA_INVALID'));
  assert.throws(() => makeDataset({ name: 'x', inputs: new Float32Array(2), inputDims: [2], labels: Uint8Array.of(3), numClasses: 3 }), code('DATA_INVALID'));
  assert.throws(() => makeDataset({ name: 'x', inputs: new Float32Array(0), inputDims: [0], labels: new Uint8Array(0), numClasses: 3 }), code('DATA_INVALID'));
});

test('subset takes the first N as views', () => {
  const data = indexed(10);
  const first = subset(data, 4);
  assert.equal(first.length, 4);
  assert.deepEqual([...first.inputs], [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5]);
  assert.equal(first.inputs.buffer, data.inputs.buffer);
  assert.equal(subset(data, 100).length, 10);
});

test('the last-N validation split keeps order; the seeded split is a reproducible partition', () => {
  const data = indexed(20);
  const last = splitValidation(data, { method: 'last', size: 5 });
  assert.equal(last.train.length, 15);
  assert.deepEqual([...last.validation.labels], [15 % 3, 16 % 3, 17 % 3, 18 % 3, 19 % 3]);
  assert.equal(last.validation.inputs[0], 15);

  const a = splitValidation(data, { method: 'random', size: 5, seed: 7 });
  const b = splitValidation(data, { method: 'random', size: 5, seed: 7 });
  const c = splitValidation(data, { method: 'random', size: 5, seed: 8 });
  const ids = (d: Dataset) => Array.from({ length: d.length }, (_, k) => d.inputs[2 * k]!);
  assert.deepEqual(ids(a.validation), ids(b.validation));
  assert.notDeepEqual(ids(a.validation), ids(c.validation));
  assert.deepEqual([...ids(a.train), ...ids(a.validation)].sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i));
  for (let k = 0; k < a.validation.length; k++) assert.equal(a.validation.labels[k], a.validation.inputs[2 * k]! % 3);
  assert.throws(() => splitValidation(data, { method: 'last', size: 20 }), code('BAD_ARGUMENT'));
});

test('selectSamples gathers rows and labels; reshapeInputs only changes dims', () => {
  const data = indexed(6);
  const picked = selectSamples(data, [4, 1]);
  assert.deepEqual([...picked.inputs], [4, 4.5, 1, 1.5]);
  assert.deepEqual([...picked.labels], [1, 1]);
  assert.ok(picked.labels instanceof Uint8Array);
  assert.throws(() => selectSamples(data, [6]), code('BAD_ARGUMENT'));
  assert.deepEqual(reshapeInputs(data, [1, 2, 1]).inputDims, [1, 2, 1]);
  assert.throws(() => reshapeInputs(data, [3]), code('BAD_ARGUMENT'));
});
