/**
 * Deep mutual learning: the objective against a hand computation (value and per-student gradients
 * with the peers held fixed), side-by-side composition and extraction, and a few steps of two
 * students in one training graph.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composeStudents, extractStudent, mutualLoss, trainMutual } from '../../src/distill/mutual.js';
import { buildMlp } from '../../src/models/mlp.js';
import { encodeModel } from '../../src/onnx/model.js';
import type { ModelProto } from '../../src/onnx/proto.js';
import { readFloat32 } from '../../src/onnx/tensor.js';
import { Session } from '../../src/runtime/session.js';
import { floatTensor, readFloats } from '../../src/runtime/tensors.js';
import { evaluateLoss, kl, softmax, syntheticDataset } from './lossHarness.js';

const logits = {
  a: [[1.0, -0.5, 2.0], [0.1, 0.2, -1.0]],
  b: [[0.0, 1.0, 0.5], [2.0, -1.0, 0.0]],
  c: [[-1.0, 0.0, 3.0], [0.5, 0.5, -0.5]],
};
const labels = [2, 0];

function byHand(students: number[][][], T: number) {
  const K = students.length;
  const N = labels.length;
  let loss = 0;
  const grads = students.map((z, k) =>
    z.flatMap((row, i) => {
      const p = softmax(row);
      const pT = softmax(row, T);
      loss += -Math.log(p[labels[i]!]!) / N;
      const peers = students.filter((_, j) => j !== k).map((other) => softmax(other[i]!, T));
      loss += (T * T * peers.reduce((a, q) => a + kl(q, pT), 0)) / (N * (K - 1));
      // d/dz_k of CE + T^2/(K-1) Σ_j KL(p_j^T || p_k^T), peers fixed: (p - y)/N + T/(K-1) Σ_j (p_k^T - p_j^T)/N.
      return p.map((pc, c) => (pc - (c === labels[i] ? 1 : 0)) / N + (T * peers.reduce((a, q) => a + pT[c]! - q[c]!, 0)) / (N * (K - 1)));
    }),
  );
  return { loss, grads };
}

for (const [names, T] of [[['a', 'b'], 1], [['a', 'b', 'c'], 3]] as const) {
  test(`DML loss and per-student gradients match a hand computation (K ${names.length}, T ${T})`, async () => {
    const chosen = Object.fromEntries(names.map((n) => [n, logits[n]]));
    const got = await evaluateLoss(mutualLoss([...names], { temperature: T }), chosen, labels);
    const expected = byHand(names.map((n) => logits[n]), T);
    assert.ok(Math.abs(got.loss - expected.loss) < 1e-5 * Math.max(1, expected.loss), `loss ${got.loss} vs ${expected.loss}`);
    names.forEach((n, k) => got.gradients[n]!.forEach((g, i) => assert.ok(Math.abs(g - expected.grads[k]![i]!) < 1e-6, `d ${n}[${i}]: ${g} vs ${expected.grads[k]![i]}`)));
  });
}

test('without the peers (mimicry weight 0) each student\'s gradient is its own cross-entropy\'s', async () => {
  const withPeers = await evaluateLoss(mutualLoss(['a', 'b'], { temperature: 1 }), { a: logits.a, b: logits.b }, labels);
  const alone = await evaluateLoss(mutualLoss(['a', 'b'], { temperature: 1, mimicryWeight: 0 }), { a: logits.a, b: logits.b }, labels);
  const ce = logits.a.flatMap((row, i) => softmax(row).map((p, c) => (p - (c === labels[i] ? 1 : 0)) / 2));
  alone.gradients.a!.forEach((g, i) => assert.ok(Math.abs(g - ce[i]!) < 1e-6));
  assert.ok(withPeers.gradients.a!.some((g, i) => Math.abs(g - ce[i]!) > 1e-3), 'the peer term did not change the gradient');
});

async function outputsOf(model: ModelProto, x: Float32Array, n: number): Promise<Record<string, Float32Array>> {
  const session = await Session.create(encodeModel(model));
  const out = await session.run({ [session.inputNames[0]!]: floatTensor(x, [n, 6]) });
  await session.dispose();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, readFloats(v)]));
}

test('students composed side by side compute what each computes alone, and extract back unchanged', async () => {
  const students = [buildMlp({ hidden: [5], inputDims: [6], numClasses: 3, seed: 1 }), buildMlp({ hidden: [4, 4], inputDims: [6], numClasses: 3, seed: 2 })];
  const composed = composeStudents(students);
  assert.deepEqual(composed.graph!.output.map((o) => o.name), ['student0/logits', 'student1/logits']);
  const x = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i));
  const together = await outputsOf(composed, x, 2);
  for (const k of [0, 1]) {
    const alone = await outputsOf(students[k]!, x, 2);
    assert.deepEqual([...together[`student${k}/logits`]!], [...alone.logits!]);
    const extracted = extractStudent(composed, k);
    assert.deepEqual([...(await outputsOf(extracted, x, 2)).logits!], [...alone.logits!]);
    assert.deepEqual(extracted.graph!.initializer.map((t) => t.name).sort(), students[k]!.graph!.initializer.map((t) => t.name).sort());
  }
  assert.throws(() => extractStudent(composed, 2), /No member "student2"/);
});

test('two students trained together in one graph lower the DML loss; the peers change each student\'s update', async () => {
  const data = syntheticDataset(96, 6, 3, 3);
  const students = [buildMlp({ hidden: [8], inputDims: [6], numClasses: 3, seed: 1 }), buildMlp({ hidden: [8], inputDims: [6], numClasses: 3, seed: 2 })];
  const trainer = { batchSize: 32, epochs: 4, seed: 0, optimizer: { kind: 'sgd' as const }, schedule: { kind: 'constant' as const, lr: 0.3 }, progress: 'silent' as const };
  const result = await trainMutual({ students, data: { train: data }, trainer, mutual: { temperature: 1 } });
  assert.ok(result.history.at(-1)!.trainLoss < result.history[0]!.trainLoss, `DML loss per epoch: ${result.history.map((h) => h.trainLoss).join(', ')}`);
  assert.equal(result.students.length, 2);
  assert.deepEqual(result.students[1]!.graph!.output.map((o) => o.name), ['logits']);
  const alone = await trainMutual({ students, data: { train: data }, trainer: { ...trainer, epochs: 1, maxSteps: 1 }, mutual: { temperature: 1, mimicryWeight: 0 } });
  const together = await trainMutual({ students, data: { train: data }, trainer: { ...trainer, epochs: 1, maxSteps: 1 }, mutual: { temperature: 1 } });
  const weight = (m: ModelProto) => [...readFloat32(m.graph!.initializer[0]!)];
  assert.notDeepEqual(weight(alone.students[0]!), weight(together.students[0]!));
});
