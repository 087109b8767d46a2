import assert from 'node:assert/strict';
import { test } from 'node:test';
import { svd } from '../../src/lowrank/svd.js';
import { chooseRank, retainedEnergy } from '../../src/lowrank/rank.js';
import { Rng } from '../../src/util/random.js';

function check(a: Float64Array, rows: number, cols: number, label: string): Float64Array {
  const d = svd(a, rows, cols);
  const k = Math.min(rows, cols);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += d.u[i * k + q]! * d.s[q]! * d.v[j * k + q]!;
      err = Math.max(err, Math.abs(s - a[i * cols + j]!));
      scale = Math.max(scale, Math.abs(a[i * cols + j]!));
    }
  }
  assert.ok(err <= 1e-10 * Math.max(1, scale), `${label}: reconstruction error ${err}`);
  for (const [m, n] of [[d.u, rows], [d.v, cols]] as const) {
    for (let p = 0; p < k; p++) {
      for (let q = 0; q < k; q++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += m[i * k + p]! * m[i * k + q]!;
        assert.ok(Math.abs(dot - (p === q ? 1 : 0)) < 1e-9, `${label}: columns ${p},${q} dot ${dot}`);
      }
    }
  }
  for (let i = 1; i < k; i++) assert.ok(d.s[i - 1]! >= d.s[i]!, `${label}: sorted`);
  return d.s;
}

test('singular values of a diagonal matrix are its absolute diagonal, sorted', () => {
  const a = new Float64Array(16);
  [2, -7, 0.5, 3].forEach((x, i) => (a[i * 4 + i] = x));
  assert.deepEqual(Array.from(check(a, 4, 4, 'diagonal'), (x) => +x.toFixed(12)), [7, 3, 2, 0.5]);
});

test('a hand-made 2x2: [[3,0],[4,5]] has singular values sqrt(45) and sqrt(5)', () => {
  const s = check(Float64Array.of(3, 0, 4, 5), 2, 2, '2x2');
  assert.ok(Math.abs(s[0]! - Math.sqrt(45)) < 1e-12 && Math.abs(s[1]! - Math.sqrt(5)) < 1e-12, `${s[0]} ${s[1]}`);
});

test('random tall and wide matrices: U S V^T reconstructs, U and V orthonormal (seed 7)', () => {
  const rng = new Rng(7);
  for (const [r, c] of [[30, 12], [12, 30], [25, 25]] as const) {
    check(Float64Array.from({ length: r * c }, () => rng.next() - 0.5), r, c, `${r}x${c}`);
  }
});

test('a rank-2 matrix has two non-zero singular values; energy and budget ranks', () => {
  const rng = new Rng(3);
  const [r, c] = [10, 8];
  const x = Array.from({ length: r * 2 }, () => rng.next() - 0.5);
  const y = Array.from({ length: c * 2 }, () => rng.next() - 0.5);
  const a = Float64Array.from({ length: r * c }, (_, i) => x[Math.floor(i / c) * 2]! * y[(i % c) * 2]! + x[Math.floor(i / c) * 2 + 1]! * y[(i % c) * 2 + 1]!);
  const s = svd(a, r, c).s;
  assert.ok(s[1]! > 1e-3 && s[2]! < 1e-7 * s[0]!, `${Array.from(s)}`);
  assert.equal(chooseRank(s, r, c, { method: 'energy', energy: 1 }), 2);
  assert.ok(Math.abs(retainedEnergy(s, 2) - 1) < 1e-12);
  assert.equal(chooseRank(Float64Array.of(3, 2, 1), 3, 3, { method: 'energy', energy: 0.9 }), 2); // 13/14 >= 0.9 > 9/14
  assert.equal(chooseRank(new Float64Array(100).fill(1), 100, 300, { method: 'budget', fraction: 0.5 }), 37); // 37*400 <= 15000
});
