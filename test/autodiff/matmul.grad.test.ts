import { test } from 'node:test';
import { checkOpGradient } from '../helpers/opGradCheck.js';

const cases: [number[], number[]][] = [
  [[2, 3], [3, 4]],
  [[3], [3, 4]],
  [[2, 3], [3]],
  [[2, 2, 3], [3, 4]],
  [[2, 3], [5, 3, 2]],
  [[5, 1, 2, 3], [4, 3, 2]],
];
for (const [a, b] of cases) {
  test(`MatMul gradient ${JSON.stringify(a)} @ ${JSON.stringify(b)}`, async () => {
    await checkOpGradient({ opType: 'MatMul', inputs: [{ dims: a }, { dims: b }] });
  });
}

for (const transA of [0, 1]) {
  for (const transB of [0, 1]) {
    test(`Gemm gradient transA=${transA} transB=${transB} with alpha, beta and broadcast C`, async () => {
      const a = transA ? [3, 2] : [2, 3];
      const b = transB ? [4, 3] : [3, 4];
      await checkOpGradient({ opType: 'Gemm', inputs: [{ dims: a }, { dims: b }, { dims: [4] }], attrs: { transA, transB, alpha: { float: 0.7 }, beta: { float: 1.3 } } });
      await checkOpGradient({ opType: 'Gemm', inputs: [{ dims: a }, { dims: b }, { dims: [2, 1] }], attrs: { transA, transB } });
    });
  }
}

test('Gemm without C', async () => {
  await checkOpGradient({ opType: 'Gemm', inputs: [{ dims: [2, 3] }, { dims: [4, 3] }], attrs: { transB: 1 } });
});
