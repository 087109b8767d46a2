import { test } from 'node:test';
import { floatTensor } from '../../src/runtime/tensors.js';
import { buildTrainingGraph } from '../../src/train/trainingGraph.js';
import { Rng } from '../../src/util/random.js';
import { assertClose, linearModel, randomArray, runSteps } from './helpers.js';

test('one SGD step on a 2-layer linear model equals the hand-computed gradient step', async () => {
  const [N, I, H, O] = [5, 3, 4, 2];
  const lr = 0.1;
  const { model, weights } = linearModel([I, H, O], 7);
  const rng = new Rng(3);
  const x = randomArray(rng, N * I);
  const t = randomArray(rng, N * O);
  const tg = await buildTrainingGraph(model, { batchSize: N, loss: { kind: 'meanSquaredError' }, optimizer: { kind: 'sgd' } });
  const { values } = await runSteps(tg, 1, () => ({ x: floatTensor(x, [N, I]), targets: floatTensor(t, [N, O]) }), lr);

  // Forward: h = x W1^T + b1, y = h W2^T + b2; L = mean((y - t)^2) => dy = 2 (y - t) / (N O).
  const [W1, b1, W2, b2] = [weights['l1.weight'], weights['l1.bias'], weights['l2.weight'], weights['l2.bias']];
  const h = new Float64Array(N * H);
  const dy = new Float64Array(N * O);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) {
      let s = b1[j]!;
      for (let i = 0; i < I; i++) s += x[n * I + i]! * W1[j * I + i]!;
      h[n * H + j] = s;
    }
    for (let o = 0; o < O; o++) {
      let s = b2[o]!;
      for (let j = 0; j < H; j++) s += h[n * H + j]! * W2[o * H + j]!;
      dy[n * O + o] = (2 * (s - t[n * O + o]!)) / (N * O);
    }
  }
  const dW2 = new Float64Array(O * H);
  const db2 = new Float64Array(O);
  const dh = new Float64Array(N * H);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      db2[o] = db2[o]! + dy[n * O + o]!;
      for (let j = 0; j < H; j++) {
        dW2[o * H + j] = dW2[o * H + j]! + dy[n * O + o]! * h[n * H + j]!;
        dh[n * H + j] = dh[n * H + j]! + dy[n * O + o]! * W2[o * H + j]!;
      }
    }
  }
  const dW1 = new Float64Array(H * I);
  const db1 = new Float64Array(H);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) {
      db1[j] = db1[j]! + dh[n * H + j]!;
      for (let i = 0; i < I; i++) dW1[j * I + i] = dW1[j * I + i]! + dh[n * H + j]! * x[n * I + i]!;
    }
  }
  const stepped = (p: Float32Array, g: Float64Array) => Array.from(p, (v, i) => v - lr * g[i]!);
  assertClose(values.get('l1.weight')!, stepped(W1, dW1), 1e-5, 'l1.weight');
  assertClose(values.get('l1.bias')!, stepped(b1, db1), 1e-5, 'l1.bias');
  assertClose(values.get('l2.weight')!, stepped(W2, dW2), 1e-5, 'l2.weight');
  assertClose(values.get('l2.bias')!, stepped(b2, db2), 1e-5, 'l2.bias');
});
