/**
 * The distillation loss against values computed by hand in JavaScript (float64): the loss, and its
 * gradient with respect to the student's logits, which for Hinton's loss is
 *   alpha * (softmax(s) - onehot) / N  +  (1 - alpha) * T * (softmax(s/T) - softmax(t/T)) / N
 * (the T^2 factor times the 1/T of the softened logits).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../src/autodiff/builder.js';
import { buildGradientModel } from '../../src/autodiff/gradientModel.js';
import { hintonLoss, TEACHER_LOGITS_INPUT } from '../../src/distill/hintonLoss.js';
import { Graph } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/model.js';
import { newGraph, newModel, newValueInfo } from '../../src/onnx/proto.js';
import { Session } from '../../src/runtime/session.js';
import { floatTensor, int64Tensor, readFloats, readScalar } from '../../src/runtime/tensors.js';
import { LABELS_INPUT } from '../../src/train/losses.js';

const N = 3;
const C = 4;
const student = [1.0, -0.5, 2.0, 0.3, 0.1, 0.2, -1.0, 1.5, -2.0, 0.7, 0.4, 0.0];
const teacher = [2.5, -1.0, 4.0, 0.0, -0.3, 0.9, -2.0, 3.0, -1.0, 2.2, 0.4, 0.1];
const labels = [2, 3, 1];

function softmax(row: number[], temperature = 1): number[] {
  const scaled = row.map((v) => v / temperature);
  const max = Math.max(...scaled);
  const exps = scaled.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}
const rows = (flat: number[]) => Array.from({ length: N }, (_, i) => flat.slice(i * C, (i + 1) * C));

function byHand(alpha: number, T: number): { loss: number; grad: number[] } {
  let ce = 0;
  let kl = 0;
  const grad: number[] = [];
  rows(student).forEach((s, i) => {
    const t = rows(teacher)[i]!;
    const p = softmax(s);
    const pS = softmax(s, T);
    const pT = softmax(t, T);
    ce += -Math.log(p[labels[i]!]!);
    kl += pT.reduce((acc, q, c) => acc + q * (Math.log(q) - Math.log(pS[c]!)), 0);
    for (let c = 0; c < C; c++) {
      const hard = p[c]! - (c === labels[i] ? 1 : 0);
      grad.push((alpha * hard + (1 - alpha) * T * (pS[c]! - pT[c]!)) / N);
    }
  });
  return { loss: (alpha * ce) / N + (1 - alpha) * T * T * (kl / N), grad };
}

async function computed(alpha: number, T: number): Promise<{ loss: number; grad: Float32Array }> {
  const model = newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: newGraph({ name: 'kd' }) });
  const graph = new Graph(model.graph!);
  model.graph!.input.push(newValueInfo({ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: N }, { dimValue: C }] } } } }));
  graph.addNode({ opType: 'Identity', inputs: ['x'], outputs: ['logits'] });
  model.graph!.output.push(newValueInfo({ name: 'logits' }));
  const b = new GraphBuilder(graph, 17, 'loss/');
  const spec = hintonLoss({ temperature: T, alpha });
  assert.equal(spec.kind, 'subgraph');
  const term = spec.build({ b, shape: () => [N, C], modelOutput: 'logits' });
  model.graph!.input.push(...term.inputs);
  const feeds = {
    x: floatTensor(Float32Array.from(student), [N, C]),
    [LABELS_INPUT]: int64Tensor(labels, [N]),
    ...(alpha < 1 ? { [TEACHER_LOGITS_INPUT]: floatTensor(Float32Array.from(teacher), [N, C]) } : {}),
  };
  const { model: withGrad, gradientOutputs } = await buildGradientModel(model, term.value, ['x'], feeds);
  const session = await Session.create(encodeModel(withGrad));
  const out = await session.run(feeds);
  await session.dispose();
  return { loss: readScalar(out[withGrad.graph!.output[0]!.name]!), grad: readFloats(out[gradientOutputs.get('x')!]!) };
}

for (const [alpha, T] of [[0.1, 20], [0.5, 4], [0, 2], [1, 1], [0.3, 1]] as const) {
  test(`Hinton loss and its gradient match a hand computation (alpha ${alpha}, T ${T})`, async () => {
    const expected = byHand(alpha, T);
    const got = await computed(alpha, T);
    assert.ok(Math.abs(got.loss - expected.loss) <= 1e-5 * Math.max(1, Math.abs(expected.loss)), `loss ${got.loss} vs ${expected.loss}`);
    got.grad.forEach((g, i) => assert.ok(Math.abs(g - expected.grad[i]!) <= 1e-6, `d logits[${i}]: ${g} vs ${expected.grad[i]}`));
  });
}

test('the soft term is scaled by T^2: its gradient magnitude stays on the scale of T = 1', async () => {
  // Without the T^2 factor the soft gradient would shrink like 1/T^2; with it, like 1/T at worst
  // for small logit differences (Hinton et al. 2015, section 2.1), so doubling T keeps it order 1.
  const g4 = await computed(0, 4);
  const g8 = await computed(0, 8);
  const norm = (g: Float32Array) => Math.sqrt(g.reduce((a, v) => a + v * v, 0));
  assert.ok(norm(g8.grad) > 0.3 * norm(g4.grad), `${norm(g8.grad)} vs ${norm(g4.grad)}`);
  const expected = byHand(0, 8);
  assert.ok(Math.abs(g8.loss - expected.loss) < 1e-5 * Math.max(1, expected.loss));
});
