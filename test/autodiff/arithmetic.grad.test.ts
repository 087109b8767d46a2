import { test } from 'node:test';
import { checkOpGradient } from '../helpers/opGradCheck.js';

// Shape matrix: same shape, broadcasting a row / column, scalars, rank mismatch.
const broadcastCases: [number[], number[]][] = [
  [[2, 3], [2, 3]],
  [[2, 3], [3]],
  [[2, 3], [2, 1]],
  [[2, 3], []],
  [[], [2, 3]],
  [[2, 1, 4], [3, 1]],
];

for (const opType of ['Add', 'Sub', 'Mul']) {
  for (const [a, b] of broadcastCases) {
    test(`${opType} gradient ${JSON.stringify(a)} ${JSON.stringify(b)}`, async () => {
      await checkOpGradient({ opType, inputs: [{ dims: a }, { dims: b }] });
    });
  }
}

for (const [a, b] of broadcastCases) {
  test(`Div gradient ${JSON.stringify(a)} ${JSON.stringify(b)}`, async () => {
    // Keep the divisor away from zero.
    await checkOpGradient({ opType: 'Div', inputs: [{ dims: a }, { dims: b, transform: (x) => Math.sign(x || 1) * (Math.abs(x) + 0.5) }] });
  });
}

test('Neg, Identity, Relu, Tanh gradients', async () => {
  for (const opType of ['Neg', 'Identity', 'Relu', 'Tanh']) {
    await checkOpGradient({ opType, inputs: [{ dims: [3, 4], transform: (x) => (Math.abs(x) < 0.05 ? x + 0.1 : x) }] });
    await checkOpGradient({ opType, inputs: [{ dims: [] , values: [0.7] }] });
  }
});

test('Sum of three broadcast inputs', async () => {
  await checkOpGradient({ opType: 'Sum', inputs: [{ dims: [2, 3] }, { dims: [3] }, { dims: [] }] });
});
