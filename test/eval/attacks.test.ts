/**
 * FGSM and PGD on a linear classifier, logits = W x + b, whose input gradient is known in closed
 * form: d(mean CE)/dx_i = W^T (softmax(W x_i + b) - onehot(y_i)) / batch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDataset, type Dataset } from '../../src/data/dataset.js';
import { adversarialDataset, attackBatch, InputGradients } from '../../src/eval/attacks.js';
import { compareRobustness } from '../../src/eval/robustness.js';
import { Graph } from '../../src/onnx/graph.js';
import { newGraph, newModel, newValueInfo, type ModelProto } from '../../src/onnx/proto.js';
import { makeTensor } from '../../src/onnx/tensor.js';
import { Rng } from '../../src/util/random.js';

const FEATURES = 5;
const CLASSES = 3;

const info = (name: string, size: number) =>
  newValueInfo({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }, { dimValue: size }] } } } });

function linear(weight: Float32Array, bias: Float32Array): ModelProto {
  const graph = new Graph(newGraph({ name: 'linear', input: [info('x', FEATURES)], output: [info('logits', CLASSES)] }));
  graph.addInitializer(makeTensor('fc.weight', [CLASSES, FEATURES], weight));
  graph.addInitializer(makeTensor('fc.bias', [CLASSES], bias));
  graph.addNode({ opType: 'Gemm', name: 'fc', inputs: ['x', 'fc.weight', 'fc.bias'], outputs: ['logits'], attrs: { transB: 1 } });
  return newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: graph.proto });
}

function randomLinear(seed: number) {
  const rng = new Rng(seed);
  const weight = Float32Array.from({ length: CLASSES * FEATURES }, () => 2 * rng.next() - 1);
  const bias = Float32Array.from({ length: CLASSES }, () => 0.5 * (2 * rng.next() - 1));
  return { weight, bias, model: linear(weight, bias) };
}

/** Inputs in [0, 1], some near the edges so clipping is exercised. */
function data(count: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const inputs = Float32Array.from({ length: count * FEATURES }, (_, k) => (k % 7 === 0 ? 0.97 : k % 11 === 0 ? 0.03 : rng.next()));
  const labels = Uint8Array.from({ length: count }, () => rng.int(CLASSES));
  return makeDataset({ name: 'points', inputs, inputDims: [FEATURES], labels, numClasses: CLASSES });
}

/** Closed-form per-sample gradient direction W^T (softmax - onehot), in float64. */
function closedFormGradient(weight: Float32Array, bias: Float32Array, x: Float32Array, label: number): number[] {
  const logits = Array.from({ length: CLASSES }, (_, c) => bias[c]! + Array.from({ length: FEATURES }, (_, f) => weight[c * FEATURES + f]! * x[f]!).reduce((a, b) => a + b, 0));
  const max = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - max));
  const z = exps.reduce((a, b) => a + b, 0);
  const residual = exps.map((e, c) => e / z - (c === label ? 1 : 0));
  return Array.from({ length: FEATURES }, (_, f) => residual.reduce((s, r, c) => s + weight[c * FEATURES + f]! * r, 0));
}

function closedFormFgsm(weight: Float32Array, bias: Float32Array, dataset: Dataset, epsilon: number): Float32Array {
  const out = new Float32Array(dataset.inputs.length);
  for (let i = 0; i < dataset.length; i++) {
    const x = dataset.inputs.subarray(i * FEATURES, (i + 1) * FEATURES);
    const g = closedFormGradient(weight, bias, x, dataset.labels[i]!);
    // The example must not hinge on the sign of a gradient that rounds to 0.
    assert.ok(g.every((v) => Math.abs(v) > 1e-4), `sample ${i} has a near-zero gradient component: ${g.join(', ')}`);
    g.forEach((v, f) => (out[i * FEATURES + f] = Math.min(1, Math.max(0, x[f]! + epsilon * Math.sign(v)))));
  }
  return out;
}

test('FGSM on a linear model equals x + eps * sign(W^T (softmax - onehot)), clipped to [0, 1], exactly', async () => {
  const { weight, bias, model } = randomLinear(1);
  const dataset = data(10, 2);
  const gradients = new InputGradients(model, [FEATURES], 'linear');
  try {
    // Batches of 4: two full batches and a partial one (its own gradient graph).
    const adversarial = await adversarialDataset(gradients, dataset, { method: 'fgsm', epsilon: 0.1 }, { batchSize: 4 });
    const expected = closedFormFgsm(weight, bias, dataset, 0.1);
    assert.deepEqual(adversarial.inputs, expected);
    assert.ok(expected.some((v) => v === 1) && expected.some((v) => v === 0), 'the example exercises clipping at both ends');
    assert.deepEqual(adversarial.labels, dataset.labels);
  } finally {
    await gradients.dispose();
  }
});

test('PGD with one step of size eps and no random start is FGSM; with a random start it stays in the ball and range', async () => {
  const { model } = randomLinear(3);
  const dataset = data(6, 4);
  const labels = BigInt64Array.from(dataset.labels, (l) => BigInt(l));
  const gradients = new InputGradients(model, [FEATURES], 'linear');
  try {
    const fgsm = await attackBatch(gradients, dataset.inputs, labels, { method: 'fgsm', epsilon: 0.08 });
    const pgdOne = await attackBatch(gradients, dataset.inputs, labels, { method: 'pgd', epsilon: 0.08, stepSize: 0.08, steps: 1, randomStart: false });
    assert.deepEqual(pgdOne, fgsm);
    const attack = { method: 'pgd', epsilon: 0.05, stepSize: 0.02, steps: 5, randomStart: { seed: 9 } } as const;
    const pgd = await attackBatch(gradients, dataset.inputs, labels, attack);
    assert.deepEqual(await attackBatch(gradients, dataset.inputs, labels, attack), pgd, 'seeded: the same twice');
    pgd.forEach((v, k) => {
      assert.ok(v >= 0 && v <= 1, `element ${k} = ${v} left [0, 1]`);
      assert.ok(Math.abs(v - dataset.inputs[k]!) <= 0.05 + 1e-7, `element ${k} moved ${v - dataset.inputs[k]!}, more than eps`);
    });
    await assert.rejects(attackBatch(gradients, dataset.inputs, labels, { ...attack, steps: 0 }), /PGD steps must be an integer >= 1/);
  } finally {
    await gradients.dispose();
  }
});

test('robustness side by side: clean and white-box rows per model, and transfer rows from the teacher', async () => {
  const teacher = randomLinear(5);
  const student = randomLinear(6);
  const dataset = data(12, 7);
  const rows = await compareRobustness(
    [{ name: 'teacher', model: teacher.model }, { name: 'student', model: student.model }],
    dataset,
    [{ method: 'fgsm', epsilon: 0.1 }],
    { transferFrom: { name: 'teacher', model: teacher.model }, batchSize: 5 },
  );
  assert.deepEqual(rows.map((r) => [r.model, r.attack, r.craftedOn]), [
    ['teacher', 'clean', 'teacher'],
    ['teacher', 'FGSM eps=0.1', 'teacher'],
    ['teacher', 'FGSM eps=0.1', 'teacher'],
    ['student', 'clean', 'student'],
    ['student', 'FGSM eps=0.1', 'student'],
    ['student', 'FGSM eps=0.1', 'teacher'],
  ]);
  // Accuracy of each model on closed-form adversarial examples, computed here in float64.
  const accuracyOn = (w: { weight: Float32Array; bias: Float32Array }, inputs: Float32Array) => {
    let hits = 0;
    for (let i = 0; i < dataset.length; i++) {
      const logits = Array.from({ length: CLASSES }, (_, c) => w.bias[c]! + Array.from({ length: FEATURES }, (_, f) => w.weight[c * FEATURES + f]! * inputs[i * FEATURES + f]!).reduce((a, b) => a + b, 0));
      if (logits.indexOf(Math.max(...logits)) === dataset.labels[i]) hits++;
    }
    return hits / dataset.length;
  };
  const onTeacherExamples = closedFormFgsm(teacher.weight, teacher.bias, dataset, 0.1);
  assert.equal(rows[0]!.accuracy, accuracyOn(teacher, dataset.inputs));
  assert.equal(rows[1]!.accuracy, accuracyOn(teacher, onTeacherExamples));
  assert.equal(rows[2]!.accuracy, rows[1]!.accuracy);
  assert.equal(rows[3]!.accuracy, accuracyOn(student, dataset.inputs));
  assert.equal(rows[4]!.accuracy, accuracyOn(student, closedFormFgsm(student.weight, student.bias, dataset, 0.1)));
  assert.equal(rows[5]!.accuracy, accuracyOn(student, onTeacherExamples));
});
