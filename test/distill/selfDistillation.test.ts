/**
 * Self-distillation: auxiliary heads (Be Your Own Teacher) attach, train and come off at export;
 * born-again generations each distil from the one before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attachAuxiliaryHeads, auxiliaryLogits, removeAuxiliaryHeads, selfDistillationLoss, trainWithAuxiliaryHeads } from '../../src/distill/auxiliaryHeads.js';
import { bornAgain } from '../../src/distill/bornAgain.js';
import { buildMlp } from '../../src/models/mlp.js';
import { encodeModel } from '../../src/onnx/model.js';
import type { ModelProto } from '../../src/onnx/proto.js';
import { readFloat32 } from '../../src/onnx/tensor.js';
import { Session } from '../../src/runtime/session.js';
import { floatTensor, readFloats } from '../../src/runtime/tensors.js';
import { evaluateLoss, kl, softmax, syntheticDataset } from './lossHarness.js';

const trainer = { batchSize: 32, epochs: 3, seed: 0, optimizer: { kind: 'sgd' as const }, schedule: { kind: 'constant' as const, lr: 0.3 }, progress: 'silent' as const };
const mlp = (seed: number) => buildMlp({ hidden: [8, 8], inputDims: [6], numClasses: 3, seed });
const hidden = (model: ModelProto) => model.graph!.node.filter((n) => n.opType === 'Relu').map((n) => n.output[0]!);

async function logitsOf(model: ModelProto, x: Float32Array): Promise<Record<string, number[]>> {
  const session = await Session.create(encodeModel(model));
  const out = await session.run({ [session.inputNames[0]!]: floatTensor(x, [x.length / 6, 6]) });
  await session.dispose();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...readFloats(v)]]));
}

test('BYOT loss: CE(deepest) + Σ heads (1-α) CE(head) + α T^2 KL(deepest^T || head^T), the deepest not pulled by the heads', async () => {
  const deepest = [[1.0, -0.5, 2.0], [0.1, 0.2, -1.0]];
  const head = [[0.0, 1.0, 0.5], [2.0, -1.0, 0.0]];
  const labels = [2, 0];
  const [alpha, T] = [0.4, 3];
  const got = await evaluateLoss(selfDistillationLoss(['head'], { alpha, temperature: T }), { deepest, head }, labels);
  const ce = (z: number[][]) => z.reduce((a, row, i) => a - Math.log(softmax(row)[labels[i]!]!), 0) / 2;
  const soft = deepest.reduce((a, row, i) => a + kl(softmax(row, T), softmax(head[i]!, T)), 0) / 2;
  const expected = ce(deepest) + (1 - alpha) * ce(head) + alpha * T * T * soft;
  assert.ok(Math.abs(got.loss - expected) < 1e-5 * Math.max(1, expected), `loss ${got.loss} vs ${expected}`);
  // The deepest classifier's gradient is its own CE's alone (stop-gradient on the teacher side).
  const ceGrad = deepest.flatMap((row, i) => softmax(row).map((p, c) => (p - (c === labels[i] ? 1 : 0)) / 2));
  got.gradients.deepest!.forEach((g, i) => assert.ok(Math.abs(g - ceGrad[i]!) < 1e-6, `d deepest[${i}]: ${g} vs ${ceGrad[i]}`));
});

test('auxiliary heads are extra outputs after the logits, and removing them restores the model exactly', async () => {
  const model = mlp(1);
  const values = hidden(model);
  const withHeads = await attachAuxiliaryHeads(model, { values, seed: 0 });
  assert.deepEqual(withHeads.graph!.output.map((o) => o.name), ['logits', ...values.map(auxiliaryLogits)]);
  const x = Float32Array.from({ length: 12 }, (_, i) => Math.cos(i));
  const out = await logitsOf(withHeads, x);
  assert.equal(out[auxiliaryLogits(values[0]!)]!.length, 6);
  const removed = removeAuxiliaryHeads(withHeads);
  assert.deepEqual(encodeModel(removed), encodeModel(model));
  await assert.rejects(attachAuxiliaryHeads(model, { values: ['nope'], seed: 0 }), /No float value "nope"/);
});

test('training with heads lowers the loss, exports without heads, and the heads\' KD reaches the shared layers', async () => {
  const data = syntheticDataset(96, 6, 3, 4);
  const student = mlp(2);
  const run = { student, data: { train: data }, trainer, heads: [hidden(student)[0]!] };
  const result = await trainWithAuxiliaryHeads({ ...run, options: { alpha: 0.5, temperature: 3 } });
  assert.ok(result.history.at(-1)!.trainLoss < result.history[0]!.trainLoss, `loss per epoch ${result.history.map((h) => h.trainLoss).join(', ')}`);
  assert.deepEqual(result.model.graph!.output.map((o) => o.name), ['logits']);
  assert.ok(!result.model.graph!.initializer.some((t) => t.name.startsWith('aux/')));
  const oneStep = { ...trainer, epochs: 1, maxSteps: 1 };
  const fc1 = (m: ModelProto) => [...readFloat32(m.graph!.initializer.find((t) => t.name.includes('fc1') && t.name.includes('weight'))!)];
  const noKd = await trainWithAuxiliaryHeads({ ...run, trainer: oneStep, options: { alpha: 0, temperature: 3 } });
  const kd = await trainWithAuxiliaryHeads({ ...run, trainer: oneStep, options: { alpha: 0.9, temperature: 3 } });
  assert.notDeepEqual(fc1(noKd.model), fc1(kd.model));
});

test('born-again: generation 0 on labels, then each generation distils the previous one with fresh weights', async () => {
  const data = syntheticDataset(64, 6, 3, 5);
  const seen: number[] = [];
  const generations = await bornAgain({
    build: (seed) => mlp(seed),
    generations: 2,
    data: { train: data },
    trainer: { ...trainer, epochs: 2 },
    kd: { temperature: 1, alpha: 0 },
    onGeneration: (g) => void seen.push(g),
  });
  assert.deepEqual(seen, [0, 1, 2]);
  assert.deepEqual(generations.map((g) => g.source), ['labels', 'distilled', 'distilled']);
  const x = Float32Array.from(data.inputs.subarray(0, 60));
  const outs = await Promise.all(generations.map((g) => logitsOf(g.model, x)));
  assert.notDeepEqual(outs[1]!.logits, outs[2]!.logits);
  await assert.rejects(bornAgain({ build: mlp, generations: 0, data: { train: data }, trainer, kd: { temperature: 1, alpha: 0 } }), /at least 1 generation/);
});
