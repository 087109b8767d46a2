import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkOpGradient } from '../helpers/opGradCheck.js';
import { handGradient } from '../helpers/handGradient.js';

/** Spreads [-1, 1) over [-scale, scale) and keeps values 0.1 away from each kink. */
const spread = (scale: number, kinks: readonly number[]) => (x: number) => {
  let v = x * scale;
  for (const k of kinks) if (Math.abs(v - k) < 0.1) v = k + (v >= k ? 0.1 : -0.1);
  return v;
};

const shapes = [[3, 4], [2, 3, 2], []];

for (const [opType, attrs, transform] of [
  ['Sigmoid', {}, spread(4, [])],
  ['Softplus', {}, spread(4, [])],
  ['LeakyRelu', {}, spread(1, [0])],
  ['LeakyRelu', { alpha: { float: 0.2 } }, spread(1, [0])],
  ['Elu', {}, spread(2, [0])],
  ['Elu', { alpha: { float: 0.5 } }, spread(2, [0])],
  ['Selu', {}, spread(2, [0])],
  ['Selu', { alpha: { float: 1.2 }, gamma: { float: 0.9 } }, spread(2, [0])],
  // Defaults alpha 0.2, beta 0.5: kinks at -2.5 and 2.5.
  ['HardSigmoid', {}, spread(4, [-2.5, 2.5])],
  ['HardSigmoid', { alpha: { float: 0.5 }, beta: { float: 0.25 } }, spread(4, [-0.5, 1.5])],
] as const) {
  test(`${opType} gradient ${JSON.stringify(attrs)}`, async () => {
    for (const dims of shapes) await checkOpGradient({ opType, attrs, inputs: [{ dims, transform }] });
  });
}

test('HardSwish gradient (opset 14) across its three pieces', async () => {
  for (const dims of shapes) await checkOpGradient({ opType: 'HardSwish', opset: 14, inputs: [{ dims, transform: spread(5, [-3, 3]) }] });
});

test('HardSwish gradient at the kinks follows PyTorch: 0 at x < -3, (x/3 + 1/2) on [-3, 3]', async () => {
  const { gradients } = await handGradient({ opType: 'HardSwish', opset: 14, inputs: [{ dims: [4], values: [-3.5, -3, 3, 3.5] }] });
  assert.deepEqual([...gradients[0]!], [0, -0.5, 1.5, 1]);
});

const clipInside = spread(1, [-0.5, 0.5]);
test('Clip gradient, bounds as inputs (opset 11 and 13)', async () => {
  for (const opset of [11, 13]) {
    for (const dims of shapes) {
      await checkOpGradient({
        opType: 'Clip',
        opset,
        inputs: [{ dims, transform: clipInside }, { dims: [], constant: true, values: [-0.5] }, { dims: [], constant: true, values: [0.5] }],
      });
    }
    // Only a lower bound.
    await checkOpGradient({ opType: 'Clip', opset, inputs: [{ dims: [3, 4], transform: clipInside }, { dims: [], constant: true, values: [-0.5] }] });
    // No bounds: identity.
    await checkOpGradient({ opType: 'Clip', opset, inputs: [{ dims: [3, 4] }] });
  }
});

test('Clip gradient, bounds as attributes (opset 10)', async () => {
  await checkOpGradient({ opType: 'Clip', opset: 10, attrs: { min: { float: -0.5 }, max: { float: 0.5 } }, inputs: [{ dims: [3, 4], transform: clipInside }] });
  await checkOpGradient({ opType: 'Clip', opset: 10, attrs: { max: { float: 0.5 } }, inputs: [{ dims: [3, 4], transform: clipInside }] });
});

test('Clip passes the gradient at the bounds, like torch.clamp', async () => {
  const x = [-1, -0.5, 0, 0.5, 1];
  const expected = [0, 1, 1, 1, 0];
  const bounds = [{ dims: [], values: [-0.5], constant: true }, { dims: [], values: [0.5], constant: true }];
  const atInputs = await handGradient({ opType: 'Clip', opset: 13, inputs: [{ dims: [5], values: x }, ...bounds] });
  assert.deepEqual([...atInputs.gradients[0]!], expected);
  const atAttrs = await handGradient({ opType: 'Clip', opset: 10, attrs: { min: { float: -0.5 }, max: { float: 0.5 } }, inputs: [{ dims: [5], values: x }] });
  assert.deepEqual([...atAttrs.gradients[0]!], expected);
  // Opset 11 lacks GreaterOrEqual; the builder falls back to Not(Less).
  const opset11 = await handGradient({ opType: 'Clip', opset: 11, inputs: [{ dims: [5], values: x }, ...bounds] });
  assert.deepEqual([...opset11.gradients[0]!], expected);
});

for (const approximate of ['none', 'tanh']) {
  test(`Gelu gradient (opset 20), approximate='${approximate}'`, async () => {
    for (const dims of shapes) await checkOpGradient({ opType: 'Gelu', opset: 20, attrs: { approximate }, inputs: [{ dims, transform: spread(3, []) }] });
  });
}

test('Gelu gradient with the default approximation (none)', async () => {
  await checkOpGradient({ opType: 'Gelu', opset: 20, inputs: [{ dims: [3, 4], transform: spread(3, []) }] });
});

test('com.microsoft:Gelu gradient (ORT contrib op, exact form)', async () => {
  for (const dims of shapes) await checkOpGradient({ opType: 'Gelu', domain: 'com.microsoft', inputs: [{ dims, transform: spread(3, []) }] });
});

test('Dropout gradient in inference form is the identity', async () => {
  // Opset 10: ratio attribute, no training mode.
  await checkOpGradient({ opType: 'Dropout', opset: 10, attrs: { ratio: { float: 0.3 } }, inputs: [{ dims: [3, 4] }] });
  for (const opset of [12, 13]) {
    await checkOpGradient({ opType: 'Dropout', opset, inputs: [{ dims: [3, 4] }] });
    await checkOpGradient({ opType: 'Dropout', opset, inputs: [{ dims: [2, 3] }, { dims: [], constant: true, values: [0.3] }] });
    await checkOpGradient({
      opType: 'Dropout',
      opset,
      inputs: [{ dims: [2, 3] }, { dims: [], constant: true, values: [0.3] }, { dims: [], type: 'bool', values: [0] }],
    });
  }
});

/** Each gradient element is mask / (1 - ratio); the mask is the op's second output of the same run. */
function assertDropoutGradient(gradient: Float32Array, mask: number[], scale: number): void {
  assert.ok(mask.includes(0) && mask.includes(1), `the mask should keep some and drop some: ${mask.join('')}`);
  gradient.forEach((g, k) => assert.ok(Math.abs(g - mask[k]! * scale) < 1e-6, `element ${k}: ${g} vs mask ${mask[k]} * ${scale}`));
}

test('Dropout gradient in training form is mask / (1 - ratio)', async () => {
  const x = Array.from({ length: 64 }, (_, k) => Math.sin(k) + 1.5);
  for (const opset of [12, 13]) {
    const ratio = 0.25;
    const { gradients, outputs } = await handGradient({
      opType: 'Dropout',
      opset,
      outputs: 2,
      attrs: { seed: 5 },
      inputs: [{ dims: [8, 8], values: x }, { dims: [], constant: true, values: [ratio] }, { dims: [], type: 'bool', values: [1] }],
    });
    assertDropoutGradient(gradients[0]!, outputs[1]!, 1 / (1 - ratio));
    // The output agrees with the same mask.
    outputs[0]!.forEach((y, k) => assert.ok(Math.abs(y - (outputs[1]![k]! * x[k]!) / (1 - ratio)) < 1e-5));
  }
});

test('Dropout gradient with the default ratio and training mode fed at run time', async () => {
  const x = Array.from({ length: 64 }, (_, k) => Math.cos(k) + 1.5);
  const run = (training: number) =>
    handGradient({
      opType: 'Dropout',
      opset: 13,
      outputs: 2,
      inputs: [{ dims: [64], values: x }, { dims: [], constant: true, values: [0.5] }, { dims: [], type: 'bool', values: [training], fed: true }],
    });
  const trained = await run(1);
  assertDropoutGradient(trained.gradients[0]!, trained.outputs[1]!, 2);
  const inferred = await run(0);
  assert.deepEqual([...inferred.gradients[0]!], x.map(() => 1));
});

test('Dropout in training form without a mask output is refused with a clear error', async () => {
  await assert.rejects(
    handGradient({ opType: 'Dropout', opset: 13, inputs: [{ dims: [4], values: [1, 2, 3, 4] }, { dims: [], constant: true, values: [0.5] }, { dims: [], type: 'bool', values: [1] }] }),
    /no mask output/,
  );
});
