import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkOpGradient } from '../helpers/opGradCheck.js';
import { handGradient } from '../helpers/handGradient.js';

const positive = (x: number) => Math.abs(x) + 0.1;
/** Keeps values at least 0.1 away from 0 (the kink of Abs). */
const awayFromZero = (x: number) => Math.sign(x || 1) * (Math.abs(x) + 0.1);

const broadcastCases: [number[], number[]][] = [
  [[2, 3], [2, 3]],
  [[2, 3], [3]],
  [[2, 1], [1, 3]],
  [[2, 3], []],
  [[], [2, 3]],
];

for (const [opType, transform] of [
  ['Sqrt', positive],
  ['Exp', undefined],
  ['Log', positive],
  ['Abs', awayFromZero],
  ['Reciprocal', awayFromZero],
  ['Erf', undefined],
] as const) {
  test(`${opType} gradient over a matrix, a 3-d tensor and a scalar`, async () => {
    await checkOpGradient({ opType, inputs: [{ dims: [3, 4], transform }] });
    await checkOpGradient({ opType, inputs: [{ dims: [2, 3, 2], transform }] });
    await checkOpGradient({ opType, inputs: [{ dims: [], transform }] });
  });
}

for (const [a, b] of broadcastCases) {
  test(`Pow gradient, base and exponent differentiated, ${JSON.stringify(a)} ^ ${JSON.stringify(b)}`, async () => {
    await checkOpGradient({ opType: 'Pow', inputs: [{ dims: a, transform: positive }, { dims: b }] });
  });
}

test('Pow gradient with a constant exponent: float at opset 11, int64 at opset 13, zero exponent', async () => {
  await checkOpGradient({ opType: 'Pow', opset: 11, inputs: [{ dims: [2, 3], transform: positive }, { dims: [], constant: true, values: [2.5] }] });
  // An integer exponent allows a negative base.
  await checkOpGradient({ opType: 'Pow', opset: 13, inputs: [{ dims: [2, 3] }, { dims: [], type: 'int64', values: [3] }] });
  await checkOpGradient({ opType: 'Pow', inputs: [{ dims: [2, 3], transform: positive }, { dims: [3], constant: true, values: [2, 0, -1] }] });
});

test('Pow gradient at a zero base is finite (0 for the exponent, as in PyTorch)', async () => {
  const { gradients } = await handGradient({
    opType: 'Pow',
    inputs: [{ dims: [3], values: [0, 0, 2] }, { dims: [3], values: [2, 1, 3] }],
  });
  assert.deepEqual([...gradients[0]!], [0, 1, 12]);
  assert.deepEqual([...gradients[1]!].slice(0, 2), [0, 0]);
  assert.ok(Math.abs(gradients[1]![2]! - 8 * Math.log(2)) < 1e-5);
});

for (const opType of ['Max', 'Min']) {
  test(`${opType} gradient: two inputs, broadcasting, one input`, async () => {
    for (const [a, b] of broadcastCases) await checkOpGradient({ opType, inputs: [{ dims: a }, { dims: b }] });
    await checkOpGradient({ opType, inputs: [{ dims: [2, 3] }] });
  });

  test(`${opType} gradient of three broadcast inputs`, async () => {
    await checkOpGradient({ opType, inputs: [{ dims: [2, 3] }, { dims: [3] }, { dims: [] }] });
  });

  test(`${opType} gradient splits two-way ties evenly (matching central differences)`, async () => {
    await checkOpGradient({ opType, inputs: [{ dims: [4], values: [0.5, -0.25, 0.75, 0.1] }, { dims: [4], values: [0.5, -0.25, -0.5, 0.3] }] });
  });

  test(`${opType} gradient shares a three-way tie in thirds`, async () => {
    const { gradients } = await handGradient({ opType, inputs: [{ dims: [2], values: [0.5, 1] }, { dims: [2], values: [0.5, 0] }, { dims: [], values: [0.5] }] });
    const third = 1 / 3;
    const [x0, x1, x2] = gradients.map((g) => [...g].map((v) => Math.round(v * 1e6) / 1e6));
    const r = (v: number) => Math.round(v * 1e6) / 1e6;
    assert.deepEqual(x0, opType === 'Max' ? [r(third), 1] : [r(third), 0]);
    assert.deepEqual(x1, opType === 'Max' ? [r(third), 0] : [r(third), 1]);
    assert.deepEqual(x2, [r(third)]);
  });
}

const whereCases: [number[], number[], number[]][] = [
  [[2, 3], [2, 3], [2, 3]],
  [[2, 3], [3], []],
  [[3], [2, 1], [1, 3]],
  [[2, 1], [], [3]],
];
for (const [c, x, y] of whereCases) {
  test(`Where gradient, condition ${JSON.stringify(c)}, x ${JSON.stringify(x)}, y ${JSON.stringify(y)}`, async () => {
    const count = c.reduce((n, d) => n * d, 1);
    const condition = Array.from({ length: count }, (_, i) => (i * 7 + 3) % 3 === 0 ? 1 : 0);
    await checkOpGradient({ opType: 'Where', inputs: [{ dims: c, type: 'bool', values: condition }, { dims: x }, { dims: y }] });
  });
}

test('Cast float to float passes the gradient', async () => {
  await checkOpGradient({ opType: 'Cast', attrs: { to: 1 }, inputs: [{ dims: [2, 3] }] });
  await checkOpGradient({ opType: 'Cast', attrs: { to: 1 }, inputs: [{ dims: [] }] });
});
