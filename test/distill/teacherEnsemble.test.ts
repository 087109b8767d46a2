/**
 * The teacher ensemble against hand-computed soft targets: fixed weights, and per-sample confidence
 * weights w_k = softmax_k(c_k / τ) with c_k the max probability or the negative entropy of teacher
 * k's own prediction. The ensemble's output z̄ = T log p̄ must give softmax(z̄ / T) = p̄.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTeacherEnsemble, ENSEMBLE_OUTPUT, ENSEMBLE_WEIGHTS_OUTPUT, type TeacherWeighting } from '../../src/distill/teacherEnsemble.js';
import { cacheTeacherLogits, openTeacher } from '../../src/distill/teacherSignals.js';
import { distill } from '../../src/distill/distill.js';
import { Graph } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/model.js';
import { newGraph, newModel, newValueInfo, type ModelProto } from '../../src/onnx/proto.js';
import { makeTensor } from '../../src/onnx/tensor.js';
import { buildMlp } from '../../src/models/mlp.js';
import { Session } from '../../src/runtime/session.js';
import { floatTensor, readFloats } from '../../src/runtime/tensors.js';
import { softmax, syntheticDataset } from './lossHarness.js';

const C = 3;
/** A "teacher" whose logits are its input plus a fixed offset per class. */
function offsetTeacher(offset: number[]): ModelProto {
  const info = (name: string) => newValueInfo({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }, { dimValue: C }] } } } });
  const model = newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: newGraph({ name: 'offset', input: [info('x')], output: [info('logits')] }) });
  const graph = new Graph(model.graph!);
  graph.addInitializer(makeTensor('offset', [C], Float32Array.from(offset)));
  graph.addNode({ opType: 'Add', inputs: ['x', 'offset'], outputs: ['logits'] });
  return model;
}

const offsets = [[0, 0, 0], [3, 0, -1], [0, 0, 5]];
const inputs = [[1, 0, 0], [0, 2, 0], [0.5, 0.5, 0.5]];

async function run(weighting: TeacherWeighting, temperature: number): Promise<{ logits: number[][]; weights: number[][] }> {
  const ensemble = buildTeacherEnsemble(offsets.map(offsetTeacher), { temperature, weighting });
  const session = await Session.create(encodeModel(ensemble));
  const out = await session.run({ x: floatTensor(Float32Array.from(inputs.flat()), [inputs.length, C]) });
  await session.dispose();
  const rows = (v: Float32Array, width: number) => Array.from({ length: inputs.length }, (_, i) => [...v.subarray(i * width, (i + 1) * width)]);
  return { logits: rows(readFloats(out[ENSEMBLE_OUTPUT]!), C), weights: rows(readFloats(out[ENSEMBLE_WEIGHTS_OUTPUT]!), offsets.length) };
}

function byHand(weightsOf: (teacherLogits: number[][]) => number[], temperature: number) {
  return inputs.map((x) => {
    const z = offsets.map((o) => x.map((v, c) => v + o[c]!));
    const w = weightsOf(z);
    const mean = Array.from({ length: C }, (_, c) => z.reduce((a, zk, k) => a + w[k]! * softmax(zk, temperature)[c]!, 0));
    return { w, mean };
  });
}

function compare(got: { logits: number[][]; weights: number[][] }, expected: { w: number[]; mean: number[] }[], temperature: number) {
  expected.forEach(({ w, mean }, i) => {
    w.forEach((wk, k) => assert.ok(Math.abs(got.weights[i]![k]! - wk) < 1e-6, `sample ${i} teacher ${k}: weight ${got.weights[i]![k]} vs ${wk}`));
    const p = softmax(got.logits[i]!, temperature);
    mean.forEach((m, c) => assert.ok(Math.abs(p[c]! - m) < 1e-6, `sample ${i} class ${c}: softmax(z̄/T) ${p[c]} vs p̄ ${m}`));
  });
}

test('fixed weights: softmax(z̄ / T) is the weighted mean of the teachers\' soft targets', async () => {
  const T = 2;
  compare(await run({ kind: 'fixed', weights: [2, 1, 1] }, T), byHand(() => [0.5, 0.25, 0.25], T), T);
});

test('confidence weights by max probability: w = softmax over teachers of max_c q_k(c) / τ', async () => {
  const T = 4;
  const tau = 0.5;
  const expected = byHand((z) => softmax(z.map((zk) => Math.max(...softmax(zk)) / tau)), T);
  compare(await run({ kind: 'confidence', measure: 'max-probability', temperature: tau }, T), expected, T);
  // The confident teacher (offset +5 on class 2) gets the most weight on every sample.
  expected.forEach(({ w }) => assert.ok(w[2]! > w[0]!));
});

test('confidence weights by negative entropy', async () => {
  const T = 1;
  const negEntropy = (q: number[]) => q.reduce((a, p) => a + p * Math.log(p), 0);
  compare(await run({ kind: 'confidence', measure: 'negative-entropy', temperature: 1 }, T), byHand((z) => softmax(z.map((zk) => negEntropy(softmax(zk)))), T), T);
});

test('bad ensemble options are refused with the reason', () => {
  assert.throws(() => buildTeacherEnsemble([offsetTeacher([0, 0, 0])], { temperature: 1, weighting: { kind: 'fixed', weights: [1, 1] } }), /2 teacher weights for 1 teachers/);
  assert.throws(() => buildTeacherEnsemble([offsetTeacher([0, 0, 0])], { temperature: 0, weighting: { kind: 'fixed', weights: [1] } }), /temperature must be positive/);
});

test('an ensemble of two MLP teachers distils a student (cached), and a different ensemble gives a different student', async () => {
  const data = syntheticDataset(64, 6, 3, 2);
  const teachers = [1, 2].map((seed) => buildMlp({ hidden: [12], inputDims: [6], numClasses: 3, seed }));
  const trainer = { batchSize: 32, epochs: 3, seed: 0, optimizer: { kind: 'sgd' as const }, schedule: { kind: 'constant' as const, lr: 0.3 }, progress: 'silent' as const };
  const student = buildMlp({ hidden: [8], inputDims: [6], numClasses: 3, seed: 9 });
  const ensemble = buildTeacherEnsemble(teachers, { temperature: 2, weighting: { kind: 'confidence', measure: 'negative-entropy', temperature: 1 } });
  // The cached signal is the ensemble's equivalent logits over the dataset.
  const opened = await openTeacher(ensemble);
  const cache = await cacheTeacherLogits(opened, data);
  await opened.session.dispose();
  assert.equal(cache.classes, 3);
  const a = await distill({ teacher: ensemble, student, data: { train: data }, trainer, kd: { temperature: 2, alpha: 0 } });
  assert.ok(a.history.at(-1)!.trainLoss < a.history[0]!.trainLoss, `soft loss per epoch: ${a.history.map((h) => h.trainLoss).join(', ')}`);
  const single = await distill({ teacher: teachers[0]!, student, data: { train: data }, trainer, kd: { temperature: 2, alpha: 0 } });
  assert.notEqual(a.lastLoss, single.lastLoss);
});
