/**
 * The response terms on language-model logits [B, T, V]: the divergence sums over the vocabulary
 * (the last axis) and averages over every position of every window; the T^2 factor scales the
 * divergence of the softened distributions. Against float64 hand computations on small arrays.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenKdTerms } from '../../../src/distill/language/tokenKd.js';
import { kdTerm } from '../../../src/distill/terms/response.js';
import { TEACHER_OUTPUT } from '../../../src/distill/terms/types.js';
import { assertClose, evaluateTerm, numericGradient, rowsOf, softmax } from '../terms/harness.js';

const [B, T, V] = [2, 3, 4];
// Distinct rows, so a position-mixing bug (e.g. a mean over the wrong axis) changes the value.
const student = [1.0, -0.5, 2.0, 0.3, 0.1, 0.2, -1.0, 1.5, -2.0, 0.7, 0.4, 0.0, 0.9, 0.9, -0.3, 1.1, 0.0, -1.2, 2.2, 0.5, 1.7, -0.4, 0.3, 0.6];
const teacher = [2.5, -1.0, 4.0, 0.0, -0.3, 0.9, -2.0, 3.0, -1.0, 2.2, 0.4, 0.1, 0.2, 1.6, -0.8, 0.4, 1.0, -3.0, 2.0, 0.0, 0.5, 0.5, 0.5, 2.5];

const kl = (p: number[], q: number[]) => p.reduce((acc, pc, c) => acc + pc * (Math.log(pc) - Math.log(q[c]!)), 0);

/** T^2 / (B T) * sum over positions of KL at temperature T, in float64. */
function byHand(divergence: 'forward-kl' | 'reverse-kl', temperature: number) {
  return (s: number[]): number => {
    const teacherRows = rowsOf(teacher, V);
    let total = 0;
    rowsOf(s, V).forEach((row, i) => {
      const pS = softmax(row, temperature);
      const pT = softmax(teacherRows[i]!, temperature);
      total += divergence === 'forward-kl' ? kl(pT, pS) : kl(pS, pT);
    });
    return (temperature * temperature * total) / (B * T);
  };
}

const at = (divergence: 'forward-kl' | 'reverse-kl', temperature: number, dims = [B, T, V]) =>
  evaluateTerm(kdTerm({ divergence, temperature }), { dims, data: student }, { [TEACHER_OUTPUT]: { dims, data: teacher } });

for (const divergence of ['forward-kl', 'reverse-kl'] as const) {
  for (const temperature of [1, 2, 5]) {
    test(`${divergence} on [B, T, V] at T=${temperature}: sum over the vocabulary, mean over B x T positions, times T^2; gradient by central differences`, async () => {
      const got = await at(divergence, temperature);
      const f = byHand(divergence, temperature);
      assertClose([got.loss], [f(student)], 1e-5, `${divergence} loss`);
      assertClose(got.grad, numericGradient(f, student), 1e-4, `${divergence} gradient`);
      // Positions where the student's top token is the teacher's, over all B x T positions.
      const top = (row: number[]) => row.indexOf(Math.max(...row));
      const agreeing = rowsOf(student, V).filter((row, i) => top(row) === top(rowsOf(teacher, V)[i]!)).length;
      assert.equal(got.metrics['term:agreement'], agreeing);
    });
  }
}

test('the T^2 factor: the term at T equals T^2 times the plain KL of the softened distributions (pinned values)', async () => {
  // Hand values of the plain mean KL (no T^2) at T = 1 and T = 4, from the float64 computation above.
  const plain = (divergence: 'forward-kl' | 'reverse-kl', temperature: number) => byHand(divergence, temperature)(student) / (temperature * temperature);
  for (const divergence of ['forward-kl', 'reverse-kl'] as const) {
    const one = await at(divergence, 1);
    const four = await at(divergence, 4);
    assertClose([one.loss], [plain(divergence, 1)], 1e-5, `${divergence} at T=1`);
    assertClose([four.loss], [16 * plain(divergence, 4)], 1e-5, `${divergence} at T=4`);
    // Softening flattens both distributions: the unscaled divergence shrinks, so without T^2 the term would vanish as T grows.
    assert.ok(four.loss / 16 < one.loss, `${divergence}: softened KL ${four.loss / 16} should be below ${one.loss}`);
  }
  // One position worked through by hand: teacher row [2.5, -1, 4, 0] -> p = [0.17877, 0.00540, 0.80117, 0.01467],
  // student row [1, -0.5, 2, 0.3] -> q = [0.22533, 0.05028, 0.61251, 0.11189]; sum p ln(p/q) = 0.13189.
  const pT = softmax([2.5, -1.0, 4.0, 0.0]);
  const pS = softmax([1.0, -0.5, 2.0, 0.3]);
  assert.ok(Math.abs(kl(pT, pS) - 0.13189) < 1e-4, `forward KL of the first position ${kl(pT, pS)}`);
  assert.ok(Math.abs(kl(pS, pT) - 0.22720) < 1e-4, `reverse KL of the first position ${kl(pS, pT)}`);
});

test('[B, T, V] gives what the same B*T rows give as [N, V]: positions are samples of the mean', async () => {
  for (const divergence of ['forward-kl', 'reverse-kl'] as const) {
    const sequence = await at(divergence, 3);
    const flat = await at(divergence, 3, [B * T, V]);
    assertClose([sequence.loss], [flat.loss], 1e-6, divergence);
    assertClose(sequence.grad, flat.grad, 1e-6, `${divergence} gradient`);
  }
});

test('tokenKdTerms: alpha on the cross-entropy, 1 - alpha on the divergence, zero weights left out', () => {
  const mixed = tokenKdTerms({ divergence: 'reverse-kl', temperature: 2, alpha: 0.25 });
  assert.deepEqual(mixed.map((t) => [t.name, t.weight, t.term.kind]), [['ce', 0.25, 'ce'], ['kd', 0.75, 'kd']]);
  assert.deepEqual(mixed[1]!.term.options, { divergence: 'reverse-kl', temperature: 2 });
  assert.deepEqual(tokenKdTerms({ divergence: 'forward-kl', temperature: 1, alpha: 0 }).map((t) => t.name), ['kd']);
  assert.deepEqual(tokenKdTerms({ divergence: 'forward-kl', temperature: 1, alpha: 1 }).map((t) => t.name), ['ce']);
  assert.throws(() => tokenKdTerms({ divergence: 'forward-kl', temperature: 1, alpha: 1.5 }), /alpha/);
});
