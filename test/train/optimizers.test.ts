/**
 * Optimizer updates against JavaScript references of PyTorch's formulas. The loss is a subgraph
 * over the weight itself, L = sum(C * W) + 0.5 * sum(W^2), so dL/dW = C + W is known exactly and
 * changes from step to step (which exercises state fed back between steps).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { floatTensor } from '../../src/runtime/tensors.js';
import type { OptimizerSpec } from '../../src/train/optimizers/index.js';
import { buildTrainingGraph, type TrainingGraphOptions } from '../../src/train/trainingGraph.js';
import { Rng } from '../../src/util/random.js';
import { assertClose, linearModel, randomArray, runSteps } from './helpers.js';

const C = randomArray(new Rng(11), 4 * 3, 1);
const quadraticLoss: TrainingGraphOptions['loss'] = {
  kind: 'subgraph',
  build: ({ b }) => {
    const w = 'l1.weight';
    const linear = b.reduceSum(b.mul(b.constFloat(C, [4, 3]), w), [0, 1], false);
    const square = b.scale(b.reduceSum(b.mul(w, w), [0, 1], false), 0.5);
    return { value: b.add(linear, square), inputs: [], stopGradients: [], metrics: {} };
  },
};

type Reference = (w: Float64Array, g: Float64Array, state: Float64Array[], lr: number, t: number) => void;

function sgdReference(momentum: number, nesterov: boolean, weightDecay: number): Reference {
  return (w, grad, state, lr) => {
    state[0] ??= new Float64Array(w.length);
    for (let i = 0; i < w.length; i++) {
      const g = grad[i]! + weightDecay * w[i]!;
      if (momentum === 0) { w[i] = w[i]! - lr * g; continue; }
      const buf = (state[0][i] = momentum * state[0][i]! + g);
      w[i] = w[i]! - lr * (nesterov ? g + momentum * buf : buf);
    }
  };
}

function adamReference(decoupled: boolean, weightDecay: number, beta1 = 0.9, beta2 = 0.999, eps = 1e-8): Reference {
  return (w, grad, state, lr, t) => {
    state[0] ??= new Float64Array(w.length);
    state[1] ??= new Float64Array(w.length);
    for (let i = 0; i < w.length; i++) {
      if (decoupled) w[i] = w[i]! * (1 - lr * weightDecay);
      const g = decoupled ? grad[i]! : grad[i]! + weightDecay * w[i]!;
      const m = (state[0][i] = beta1 * state[0][i]! + (1 - beta1) * g);
      const v = (state[1][i] = beta2 * state[1][i]! + (1 - beta2) * g * g);
      const denom = Math.sqrt(v) / Math.sqrt(1 - beta2 ** t) + eps;
      w[i] = w[i]! - (lr / (1 - beta1 ** t)) * (m / denom);
    }
  };
}

const cases: [string, OptimizerSpec, Reference][] = [
  ['sgd', { kind: 'sgd' }, sgdReference(0, false, 0)],
  ['sgd + L2 weight decay', { kind: 'sgd', weightDecay: 0.1 }, sgdReference(0, false, 0.1)],
  ['sgd momentum', { kind: 'sgd', momentum: 0.9 }, sgdReference(0.9, false, 0)],
  ['sgd nesterov', { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 0.05 }, sgdReference(0.9, true, 0.05)],
  ['adam', { kind: 'adam' }, adamReference(false, 0)],
  ['adam + L2', { kind: 'adam', weightDecay: 0.1, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 }, adamReference(false, 0.1, 0.8, 0.99, 1e-6)],
  ['adamw', { kind: 'adamw', weightDecay: 0.1 }, adamReference(true, 0.1)],
];

const lr = 0.05;
const N = 2;
const feeds = () => ({ x: floatTensor(new Float32Array(N * 3), [N, 3]) });

for (const [name, spec, reference] of cases) {
  for (const steps of [1, 2]) {
    test(`${name}: ${steps} step(s) match the PyTorch formula`, async () => {
      const { model, weights } = linearModel([3, 4, 2], 5);
      const tg = await buildTrainingGraph(model, { batchSize: N, loss: quadraticLoss, optimizer: spec });
      const { values } = await runSteps(tg, steps, feeds, lr);
      const w = Float64Array.from(weights['l1.weight']);
      const state: Float64Array[] = [];
      for (let t = 1; t <= steps; t++) reference(w, Float64Array.from(w, (v, i) => C[i]! + v), state, lr, t);
      assertClose(values.get('l1.weight')!, w, 1e-5, `${name} l1.weight`);
      // Parameters the loss does not read get a zero gradient: plain SGD leaves them unchanged.
      if (spec.kind === 'sgd' && !spec.weightDecay) assert.deepEqual(values.get('l2.bias'), weights['l2.bias']);
    });
  }
}

test('global-norm clipping scales every gradient by min(1, maxNorm / (norm + 1e-6))', async () => {
  const { model, weights } = linearModel([3, 4, 2], 5);
  const maxNorm = 0.5;
  const tg = await buildTrainingGraph(model, { batchSize: N, loss: quadraticLoss, optimizer: { kind: 'sgd' }, clipGlobalNorm: maxNorm });
  const { values, last } = await runSteps(tg, 1, feeds, lr);
  const w = weights['l1.weight'];
  const g = Array.from(w, (v, i) => C[i]! + v);
  const norm = Math.sqrt(g.reduce((s, v) => s + v * v, 0)); // the other parameters' gradients are 0
  const coefficient = Math.min(1, maxNorm / (norm + 1e-6));
  assert.ok(coefficient < 1, 'the test must clip');
  assertClose(values.get('l1.weight')!, Array.from(w, (v, i) => v - lr * coefficient * g[i]!), 1e-5, 'clipped l1.weight');
  assertClose(last.outputs[tg.metrics.gradientNorm!]!.data as Float32Array, [norm], 1e-5, 'gradient norm');
});

test('max-norm constraint rescales each unit row to norm <= c', async () => {
  const { model } = linearModel([3, 4, 2], 5);
  const tg = await buildTrainingGraph(model, {
    batchSize: N,
    loss: quadraticLoss,
    optimizer: { kind: 'sgd' },
    maxNorm: [{ parameters: '^l1\\.weight$', maxNorm: 0.3 }],
  });
  const { values } = await runSteps(tg, 1, feeds, lr);
  const w = values.get('l1.weight')!;
  for (let row = 0; row < 4; row++) {
    const norm = Math.hypot(...w.subarray(row * 3, row * 3 + 3));
    assert.ok(norm <= 0.3 + 1e-5, `row ${row} has norm ${norm}`);
  }
});
