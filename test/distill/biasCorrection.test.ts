/**
 * Bias correction for an omitted class (Hinton et al. 2015, §3) on a hand-built classifier whose
 * logits are easy to reason about: the offset is chosen on held-out samples, lands on the right
 * bias element, and the corrected model still runs in ORT.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDataset } from '../../src/data/dataset.js';
import { chooseBiasOffset, countErrors, findOutputBias, offsetGrid, withClassBias } from '../../src/distill/biasCorrection.js';
import { datasetLogits } from '../../src/eval/logits.js';
import { Graph } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/model.js';
import { readParameter } from '../../src/onnx/parameters.js';
import { newGraph, newModel, newValueInfo, type ModelProto } from '../../src/onnx/proto.js';
import { makeTensor } from '../../src/onnx/tensor.js';
import { Session } from '../../src/runtime/session.js';

const info = (name: string, size: number) =>
  newValueInfo({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }, { dimValue: size }] } } } });

/**
 * logits = Gemm(x, I, b) with transB=1: 3 features, 3 classes, the logits are the inputs plus the
 * bias. `head` 'MatMul' ends in a MatMul instead (no bias to find); 'Gemm-no-bias' omits input C.
 */
function classifier(bias: Float32Array, head: 'Gemm' | 'MatMul' | 'Gemm-no-bias' = 'Gemm'): ModelProto {
  const graph = new Graph(newGraph({ name: 'hand', input: [info('x', 3)], output: [info('logits', 3)] }));
  graph.addInitializer(makeTensor('fc.weight', [3, 3], Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1)));
  if (head === 'Gemm') {
    graph.addInitializer(makeTensor('fc.bias', [3], bias));
    graph.addNode({ opType: 'Gemm', name: 'fc', inputs: ['x', 'fc.weight', 'fc.bias'], outputs: ['logits'], attrs: { transB: 1 } });
  } else if (head === 'Gemm-no-bias') {
    graph.addNode({ opType: 'Gemm', name: 'fc', inputs: ['x', 'fc.weight'], outputs: ['logits'], attrs: { transB: 1 } });
  } else {
    graph.addNode({ opType: 'MatMul', name: 'head', inputs: ['x', 'fc.weight'], outputs: ['logits'] });
  }
  return newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: graph.proto });
}

/**
 * Held-out samples: class-2 samples whose class-2 logit trails the best other by 1.1 (an offset
 * above 1.1 fixes them), and class-0/1 samples that an offset above 2.6 breaks. The best offsets
 * on a 0.25 grid are 1.25..2.5, and the smallest, 1.25, is the choice.
 */
function heldOut() {
  const rows: [number, number, number, number][] = [];
  for (let i = 0; i < 6; i++) rows.push([2, 0.5, 1.1 + 0.05 * (i % 2), 0.05 * (i % 2)]); // [label, x0, x1, x2]: x1 - x2 = 1.1
  for (let i = 0; i < 10; i++) rows.push([i % 2, i % 2 === 0 ? 3 : 0, i % 2 === 0 ? 0 : 3, 0.4]); // margin 2.6 over class 2
  const inputs = new Float32Array(rows.flatMap((r) => r.slice(1)));
  return makeDataset({ name: 'held-out', inputs, inputDims: [3], labels: Uint8Array.from(rows.map((r) => r[0])), numClasses: 3 });
}

test('the offset grid runs from 0 to 10 in steps of 0.25 and holds the paper\'s 3.5', () => {
  const grid = offsetGrid();
  assert.equal(grid.length, 41);
  assert.equal(grid[0], 0);
  assert.equal(grid.at(-1), 10);
  assert.ok(grid.includes(3.5));
});

test('countErrors counts per true class, with and without a shift of one class', () => {
  const logits = Float32Array.of(1, 0, 0, /**/ 0, 1, 0, /**/ 0, 1, 0.5, /**/ 1, 0, 0);
  const scored = { logits, labels: [0, 1, 2, 2], classes: 3 };
  const plain = countErrors(scored);
  assert.equal(plain.errors, 2);
  assert.equal(plain.errorPercent, 50);
  assert.deepEqual(plain.perClass, [{ errors: 0, samples: 1 }, { errors: 0, samples: 1 }, { errors: 2, samples: 2 }]);
  const shifted = countErrors(scored, { classIndex: 2, offset: 0.75 });
  assert.deepEqual(shifted.perClass.map((c) => c.errors), [0, 0, 1]);
  assert.throws(() => countErrors(scored, { classIndex: 3, offset: 1 }), /Class 3 is not one of the model's classes 0..2/);
});

test('the offset that is best on held-out data is found, applied to the bias of the right class, and the model still runs in ORT', async () => {
  const bias = Float32Array.of(0.25, -0.5, 0);
  const model = classifier(bias);
  const data = heldOut();
  // Logits from ORT, as the CLI computes them. With the bias, the class-2 samples trail class 0
  // (0.5 + 0.25) by up to 0.75 (a tie at 0.75 goes to the lower class, so 1 is the first offset that
  // fixes them all), and the class-1 samples lead class 2 by 2.6 - 0.5 = 2.1.
  const session = await Session.create(encodeModel(model), { name: 'hand classifier' });
  const scored = await datasetLogits(session, data, 4);
  await session.dispose();
  const before = countErrors(scored);
  assert.equal(before.perClass[2]!.errors, 6, 'every held-out 2 is wrong before correction');

  const choice = chooseBiasOffset(scored, 2);
  assert.equal(choice.offset, 1, JSON.stringify(choice.errorsByOffset));
  assert.equal(choice.errorsByOffset.length, 41);
  const best = Math.min(...choice.errorsByOffset.map((e) => e.errors));
  assert.equal(best, 0);
  // Smaller offsets leave 2s wrong, larger ones (beyond 2.1) break the 1s: the choice is the smallest best one.
  assert.deepEqual(choice.errorsByOffset.filter((e) => e.errors === 0).map((e) => e.offset), [1, 1.25, 1.5, 1.75, 2]);

  assert.deepEqual(findOutputBias(model), { name: 'fc.bias', node: 'fc', classes: 3 });
  const corrected = withClassBias(model, 2, choice.offset);
  assert.deepEqual(readParameter(new Graph(corrected.graph!), 'fc.bias'), Float32Array.of(0.25, -0.5, 1));
  assert.deepEqual(readParameter(new Graph(model.graph!), 'fc.bias'), bias, 'the input model is not changed');

  const correctedSession = await Session.create(encodeModel(corrected), { name: 'corrected classifier' });
  const after = await datasetLogits(correctedSession, data);
  await correctedSession.dispose();
  assert.equal(countErrors(after).errors, 0);
  for (let i = 0; i < data.length; i++) {
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(after.logits[i * 3 + c]! - scored.logits[i * 3 + c]! - (c === 2 ? 1 : 0)) < 1e-6);
  }
});

test('the hand-built held-out set picks the smallest of several equally good offsets', () => {
  // Raw logits (no bias): 2s trail by 1.1, others lead by 2.6, so 1.25..2.5 all make no errors.
  const data = heldOut();
  const choice = chooseBiasOffset({ logits: data.inputs, labels: data.labels, classes: 3 }, 2);
  assert.equal(choice.offset, 1.25);
  assert.deepEqual(choice.errorsByOffset.filter((e) => e.errors === 0).map((e) => e.offset), [1.25, 1.5, 1.75, 2, 2.25, 2.5]);
});

test('a model whose logits do not come from a Gemm with a bias initializer is a clear error', () => {
  assert.throws(() => findOutputBias(classifier(new Float32Array(3), 'MatMul')), /the logits "logits" come from a MatMul node "head"; bias correction needs a Gemm/);
  assert.throws(() => withClassBias(classifier(new Float32Array(3), 'Gemm-no-bias'), 0, 1), /Gemm node "fc" producing the logits "logits" has no bias \(input C\)/);
  assert.throws(() => withClassBias(classifier(new Float32Array(3)), 5, 1), /Class 5 is not one of the model's classes 0..2/);
});
