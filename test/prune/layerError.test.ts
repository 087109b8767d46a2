/** Per-layer output error of a pruned model, on the dense model's activations, against a hand computation. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeDataset } from '../../src/data/dataset.js';
import { applyMasks } from '../../src/prune/applyMasks.js';
import { layerOutputErrors } from '../../src/prune/layerError.js';
import { Rng } from '../../src/util/random.js';
import { gemmChain } from './helpers.js';

const rng = new Rng(11);
const w1 = Array.from({ length: 4 * 3 }, () => rng.normal());
const w2 = Array.from({ length: 2 * 4 }, () => rng.normal());
const model = gemmChain([{ name: 'w1', out: 4, in: 3, weights: w1 }, { name: 'w2', out: 2, in: 4, weights: w2 }]);
const inputs = Float32Array.from({ length: 7 * 3 }, () => rng.normal());
const data = makeDataset({ name: 'toy', inputs, inputDims: [3], labels: new Uint8Array(7), numClasses: 2 });

/** y = W x (zero bias) for each sample, W [out, in] row-major. */
function matvec(w: readonly number[], out: number, x: ArrayLike<number>): number[] {
  return Array.from({ length: out }, (_, r) => Array.from(x).reduce((s, v, c) => s + w[r * x.length + c]! * v, 0));
}

test('layer output error: per-sample ||y - y\'||² / ||y||² on the dense activations, pooled and in quantiles', async () => {
  const mask2 = Float32Array.of(1, 0, 1, 0, 0, 1, 1, 1);
  const pruned = applyMasks(model, new Map([['w1', Float32Array.of(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)], ['w2', mask2]]));
  const [only, ...rest] = await layerOutputErrors(model, pruned, data, { batchSize: 3 });
  assert.equal(rest.length, 0, 'w1 is unchanged, so only w2 is reported');
  assert.equal(only!.layer, 'w2');
  const w2Pruned = w2.map((v, i) => v * mask2[i]!);
  const perSample: number[] = [];
  let error = 0;
  let energy = 0;
  for (let s = 0; s < 7; s++) {
    // w2 reads the dense model's hidden activations: relu(W1 x).
    const h = matvec(w1, 4, inputs.subarray(s * 3, s * 3 + 3)).map((v) => Math.max(0, v));
    const y = matvec(w2, 2, h);
    const z = matvec(w2Pruned, 2, h);
    const e = y.reduce((a, v, i) => a + (v - z[i]!) ** 2, 0);
    const n = y.reduce((a, v) => a + v * v, 0);
    // A sample whose hidden units are all off has y = y' = 0: no error (one does, in this fixture).
    perSample.push(n > 0 ? e / n : 0);
    error += e;
    energy += n;
  }
  perSample.sort((a, b) => a - b);
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
  close(only!.pooled, error / energy, 'pooled');
  close(only!.median, perSample[3]!, 'median');
  close(only!.max, perSample[6]!, 'max');
  assert.equal(only!.samples, 7);
});

test('layer output error: nothing pruned reports nothing; a structurally smaller model is refused', async () => {
  assert.deepEqual(await layerOutputErrors(model, model, data), []);
  const smaller = gemmChain([{ name: 'w1', out: 3, in: 3, weights: w1.slice(0, 9) }, { name: 'w2', out: 2, in: 3, weights: w2.slice(0, 6) }]);
  await assert.rejects(layerOutputErrors(model, smaller, data), /lacks "w1" \[4,3\]/);
});
