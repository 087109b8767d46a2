/**
 * Each term's loss against a float64 computation by hand in JavaScript on small arrays, and its
 * gradient with respect to the student value against central differences of that computation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attentionProbabilityTerm, attentionTransferTerm } from '../../../src/distill/terms/attention.js';
import { fitnetTerm } from '../../../src/distill/terms/fitnet.js';
import { kdTerm, type Divergence } from '../../../src/distill/terms/response.js';
import { rkdTerm } from '../../../src/distill/terms/rkd.js';
import { TEACHER_OUTPUT } from '../../../src/distill/terms/types.js';
import { assertClose, evaluateTerm, numericGradient, rowsOf, softmax } from './harness.js';

const N = 3;
const C = 4;
const student = [1.0, -0.5, 2.0, 0.3, 0.1, 0.2, -1.0, 1.5, -2.0, 0.7, 0.4, 0.0];
const teacher = [2.5, -1.0, 4.0, 0.0, -0.3, 0.9, -2.0, 3.0, -1.0, 2.2, 0.4, 0.1];

const kl = (p: number[], q: number[]) => p.reduce((acc, pc, c) => acc + pc * (Math.log(pc) - Math.log(q[c]!)), 0);

function responseByHand(divergence: Divergence, T: number) {
  return (s: number[]): number => {
    if (divergence === 'mse') return s.reduce((acc, v, i) => acc + (v - teacher[i]!) ** 2, 0) / s.length;
    let total = 0;
    rowsOf(s, C).forEach((row, i) => {
      const pS = softmax(row, T);
      const pT = softmax(rowsOf(teacher, C)[i]!, T);
      const m = pS.map((v, c) => (v + pT[c]!) / 2);
      total += divergence === 'forward-kl' ? kl(pT, pS) : divergence === 'reverse-kl' ? kl(pS, pT) : 0.5 * kl(pS, m) + 0.5 * kl(pT, m);
    });
    return (T * T * total) / N;
  };
}

for (const [divergence, T] of [['forward-kl', 3], ['reverse-kl', 1], ['reverse-kl', 2], ['js', 1], ['js', 4], ['mse', 1]] as const) {
  test(`kd ${divergence} at T=${T}: loss and gradient match a hand computation`, async () => {
    const byHand = responseByHand(divergence, T);
    const got = await evaluateTerm(kdTerm({ divergence, temperature: T }), { dims: [N, C], data: student }, { [TEACHER_OUTPUT]: { dims: [N, C], data: teacher } });
    assertClose([got.loss], [byHand(student)], 1e-5, `${divergence} loss`);
    assertClose(got.grad, numericGradient(byHand, student), 1e-4, `${divergence} gradient`);
    const top = (row: number[]) => row.indexOf(Math.max(...row));
    const agreeing = rowsOf(student, C).filter((row, i) => top(row) === top(rowsOf(teacher, C)[i]!)).length;
    assert.equal(got.metrics['term:agreement'], agreeing);
  });
}

test('reverse KL is not forward KL, and JS is symmetric and below log 2', async () => {
  const forward = responseByHand('forward-kl', 1)(student);
  const reverse = responseByHand('reverse-kl', 1)(student);
  assert.ok(Math.abs(forward - reverse) > 1e-3, `forward ${forward} vs reverse ${reverse}`);
  const js = await evaluateTerm(kdTerm({ divergence: 'js' }), { dims: [N, C], data: student }, { [TEACHER_OUTPUT]: { dims: [N, C], data: teacher } });
  const swapped = await evaluateTerm(kdTerm({ divergence: 'js' }), { dims: [N, C], data: teacher }, { [TEACHER_OUTPUT]: { dims: [N, C], data: student } });
  assertClose([js.loss], [swapped.loss], 1e-6, 'JS symmetry');
  assert.ok(js.loss > 0 && js.loss < Math.LN2);
});

test('a scheduled temperature is fed per step: the graph reads the schedule input', async () => {
  // Built with a schedule, the term reads schedule:term:temperature; the harness does not feed it, so building must declare it.
  const term = kdTerm({ temperature: { kind: 'linear', from: 4, to: 1, steps: 10 } });
  await assert.rejects(evaluateTerm(term, { dims: [N, C], data: student }, { [TEACHER_OUTPUT]: { dims: [N, C], data: teacher } }), /schedule:term:temperature/);
});

test('FitNets L2 and L1 through a known linear regressor', async () => {
  // Student [2, 3] mapped by W [3, 2] + b onto a teacher hint [2, 2].
  const s = [0.5, -1.0, 2.0, 1.5, 0.0, -0.5];
  const hint = [1.0, 0.0, -1.0, 2.0];
  const W = [0.2, -0.1, 0.4, 0.3, -0.5, 0.6];
  const bias = [0.1, -0.2];
  const regress = (x: number[]) => rowsOf(x, 3).flatMap((row) => [0, 1].map((j) => row.reduce((acc, v, i) => acc + v * W[i * 2 + j]!, bias[j]!)));
  for (const distance of ['l2', 'l1'] as const) {
    const byHand = (x: number[]) => regress(x).reduce((acc, v, i) => acc + (distance === 'l2' ? (v - hint[i]!) ** 2 : Math.abs(v - hint[i]!)), 0) / 4;
    const got = await evaluateTerm(fitnetTerm({ student: 's', teacher: 'h', distance }), { dims: [2, 3], data: s }, { h: { dims: [2, 2], data: hint } }, { parameters: { 'regressor.weight': W, 'regressor.bias': bias } });
    assertClose([got.loss], [byHand(s)], 1e-5, `fitnet ${distance} loss`);
    assertClose(got.grad, numericGradient(byHand, s), 1e-4, `fitnet ${distance} gradient`);
  }
});

test('FitNets through a known 1x1 convolution regressor on [N, C, H, W]', async () => {
  // Student [1, 2, 1, 2] → teacher [1, 1, 1, 2]: out = w0 * c0 + w1 * c1 + b at each position.
  const s = [1.0, 2.0, -1.0, 0.5];
  const hint = [0.3, -0.2];
  const W = [0.5, -1.5];
  const byHand = (x: number[]) => [0, 1].reduce((acc, p) => acc + (W[0]! * x[p]! + W[1]! * x[2 + p]! + 0.25 - hint[p]!) ** 2, 0) / 2;
  const got = await evaluateTerm(fitnetTerm({ student: 's', teacher: 'h' }), { dims: [1, 2, 1, 2], data: s }, { h: { dims: [1, 1, 1, 2], data: hint } }, { parameters: { 'regressor.weight': W, 'regressor.bias': [0.25] } });
  assertClose([got.loss], [byHand(s)], 1e-5, 'conv regressor loss');
  assertClose(got.grad, numericGradient(byHand, s), 1e-4, 'conv regressor gradient');
});

/** Q = mean_c A^2 per position, normalised to unit L2 norm per sample. */
function attentionMapByHand(a: number[], dims: number[]): number[][] {
  const [n, c, h, w] = dims as [number, number, number, number];
  return Array.from({ length: n }, (_, i) => {
    const q = Array.from({ length: h * w }, (_, p) => Array.from({ length: c }, (_, k) => a[(i * c + k) * h * w + p]! ** 2).reduce((x, y) => x + y, 0) / c);
    const norm = Math.sqrt(q.reduce((x, y) => x + y * y, 0));
    return q.map((v) => v / norm);
  });
}

test('attention transfer: normalized spatial maps matched with L2 (channel counts may differ)', async () => {
  const sDims = [2, 2, 2, 2];
  const tDims = [2, 3, 2, 2];
  const s = [0.5, -1, 2, 0.1, 1, 1, -0.3, 0.2, -2, 0.4, 0.3, 1.5, 0.6, -0.7, 0.8, -0.9];
  const t = Array.from({ length: 24 }, (_, i) => Math.sin(i + 1));
  // Map normalisation by hand: unit norm per sample.
  for (const row of attentionMapByHand(s, sDims)) assertClose([row.reduce((x, y) => x + y * y, 0)], [1], 1e-12, 'unit norm');
  const byHand = (x: number[]) => {
    const qs = attentionMapByHand(x, sDims).flat();
    const qt = attentionMapByHand(t, tDims).flat();
    return qs.reduce((acc, v, i) => acc + (v - qt[i]!) ** 2, 0) / qs.length;
  };
  const got = await evaluateTerm(attentionTransferTerm({ pairs: [{ student: 's', teacher: 't' }] }), { dims: sDims, data: s }, { t: { dims: tDims, data: t } });
  assertClose([got.loss], [byHand(s)], 1e-5, 'AT loss');
  assertClose(got.grad, numericGradient(byHand, s), 1e-3, 'AT gradient');
});

test('attention-probability matching: KL(teacher || student) and MSE between softmax outputs', async () => {
  // [N=1, heads=2, queries=1, keys=3] probabilities.
  const logits = [0.2, 1.0, -0.5, 0.3, 0.3, 0.9];
  const probs = (x: number[]) => rowsOf(x, 3).flatMap((r) => softmax(r));
  const s = probs(logits);
  const t = probs([1.0, 0.0, 0.5, -1.0, 2.0, 0.0]);
  const klByHand = (x: number[]) => rowsOf(t, 3).reduce((acc, row, i) => acc + kl(row, rowsOf(x, 3)[i]!), 0) / 2;
  const mseByHand = (x: number[]) => x.reduce((acc, v, i) => acc + (v - t[i]!) ** 2, 0) / 6;
  for (const [loss, byHand] of [['kl', klByHand], ['mse', mseByHand]] as const) {
    const got = await evaluateTerm(attentionProbabilityTerm({ pairs: [{ student: 's', teacher: 't' }], loss }), { dims: [1, 2, 1, 3], data: s }, { t: { dims: [1, 2, 1, 3], data: t } });
    assertClose([got.loss], [byHand(s)], 1e-5, `attn ${loss} loss`);
    assertClose(got.grad, numericGradient(byHand, s), 1e-3, `attn ${loss} gradient`);
  }
});

/** RKD by hand (Park et al. 2019 reference code): distances / mean, triplet-angle cosines, smooth L1. */
function distancesByHand(e: number[][]): number[] {
  const all = e.flatMap((a) => e.map((b) => Math.sqrt(a.reduce((acc, v, k) => acc + (v - b[k]!) ** 2, 0))));
  const mean = all.reduce((a, c) => a + c, 0) / (e.length * (e.length - 1));
  return all.map((v) => v / mean);
}

function anglesByHand(e: number[][]): number[] {
  const unit = (v: number[]) => {
    const n = Math.sqrt(v.reduce((a, c) => a + c * c, 0));
    return n === 0 ? v.map(() => 0) : v.map((c) => c / n);
  };
  const out: number[] = [];
  for (const ei of e) for (const ej of e) for (const ek of e) {
    const u = unit(ej.map((v, k) => v - ei[k]!));
    const w = unit(ek.map((v, k) => v - ei[k]!));
    out.push(u.reduce((a, c, k) => a + c * w[k]!, 0));
  }
  return out;
}

const smoothL1 = (a: number[], b: number[]) => a.reduce((acc, v, i) => {
  const x = Math.abs(v - b[i]!);
  return acc + (x < 1 ? 0.5 * x * x : x - 0.5);
}, 0) / a.length;

test('RKD distance-wise and angle-wise losses on 4 points (student 2-d, teacher 3-d)', async () => {
  const s = [0, 0, 1, 0, 0, 2, 3, 3];
  const t = [0, 0, 0, 1, 0.1, 1, 2, 0.5, 1, 2, 1, 0];
  const teacherRows = rowsOf(t, 3);
  const parts = (x: number[]) => ({
    distance: smoothL1(distancesByHand(rowsOf(x, 2)), distancesByHand(teacherRows)),
    angle: smoothL1(anglesByHand(rowsOf(x, 2)), anglesByHand(teacherRows)),
  });
  const total = (x: number[]) => 25 * parts(x).distance + 50 * parts(x).angle;
  // A hand check of the normalisation: the mean normalised distance over distinct pairs is 1.
  const normalised = distancesByHand(rowsOf(s, 2));
  assertClose([normalised.reduce((a, c) => a + c, 0) / 12], [1], 1e-12, 'mean normalised distance');
  const got = await evaluateTerm(rkdTerm({ student: 's', teacher: 't' }), { dims: [4, 2], data: s }, { t: { dims: [4, 3], data: t } });
  assert.ok(parts(s).distance > 0 && parts(s).angle > 0);
  assertClose([got.metrics['term:distance']!, got.metrics['term:angle']!], [parts(s).distance, parts(s).angle], 1e-5, 'RKD parts');
  assertClose([got.loss], [total(s)], 1e-5, 'RKD loss');
  assertClose(got.grad, numericGradient(total, s), 1e-3, 'RKD gradient');
});

test('RKD of a scaled, rotated copy of the teacher is zero (relations, not coordinates)', async () => {
  const t = [0, 0, 1, 0, 0, 2, 3, 3];
  const angle = 0.7;
  const s = rowsOf(t, 2).flatMap((row) => {
    const [x, y] = row as [number, number];
    return [5 * (Math.cos(angle) * x - Math.sin(angle) * y), 5 * (Math.sin(angle) * x + Math.cos(angle) * y)];
  });
  const got = await evaluateTerm(rkdTerm({ student: 's', teacher: 't' }), { dims: [4, 2], data: s }, { t: { dims: [4, 2], data: t } });
  assert.ok(got.loss < 1e-9, `loss ${got.loss}`);
});
