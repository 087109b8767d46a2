/**
 * Thin singular value decomposition A = U diag(S) V^T of a float32 weight matrix, in float64.
 *
 * Method: eigen-decomposition of the Gram matrix G = A^T A (n = the smaller side) with the
 * Householder + implicit-QL solver in symmetricEigen.ts, then S = sqrt(eigenvalues) and
 * U = A V / S. A one-sided Jacobi SVD was measured first and is too slow in JavaScript for the
 * 1200x1200 layers here (O(n^3) per sweep, several sweeps); ml-matrix's Golub-Kahan took 11 s for
 * 800x800 on this machine. Squaring A squares its condition number: singular values below about
 * 1e-8 * S[0] carry little relative accuracy, which is far below float32 weight precision and below
 * anything a rank truncation keeps.
 */
import { RetortError } from '../util/errors.js';
import { symmetricEigen } from './symmetricEigen.js';

export interface Svd {
  rows: number;
  cols: number;
  /** Singular values, largest first; k = min(rows, cols) of them. */
  s: Float64Array;
  /** U, rows x k, row-major. Columns for singular values that are numerically zero are zero. */
  u: Float64Array;
  /** V, cols x k, row-major. */
  v: Float64Array;
}

/** `a` is rows x cols, row-major. */
export function svd(a: ArrayLike<number>, rows: number, cols: number): Svd {
  if (a.length !== rows * cols) throw new RetortError('BAD_ARGUMENT', `svd: ${a.length} values do not form a ${rows}x${cols} matrix`);
  if (rows < cols) {
    // A^T = V S U^T: decompose the tall transpose and swap the factors.
    const transposed = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) transposed[j * rows + i] = a[i * cols + j]!;
    const t = svd(transposed, cols, rows);
    return { rows, cols, s: t.s, u: t.v, v: t.u };
  }
  const k = cols;
  const gram = Array.from({ length: k }, () => new Float64Array(k));
  const row = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < k; j++) row[j] = a[r * cols + j]!;
    for (let i = 0; i < k; i++) {
      const x = row[i]!;
      if (x === 0) continue;
      const g = gram[i]!;
      for (let j = i; j < k; j++) g[j] = g[j]! + x * row[j]!;
    }
  }
  for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) gram[i]![j] = gram[j]![i]!;
  const { values, vectors } = symmetricEigen(gram);
  const s = Float64Array.from(values, (x) => Math.sqrt(Math.max(0, x)));
  const v = new Float64Array(cols * k);
  for (let j = 0; j < k; j++) for (let i = 0; i < cols; i++) v[i * k + j] = vectors[j]![i]!;
  const u = new Float64Array(rows * k);
  const tiny = (s[0] ?? 0) * 1e-12;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < k; j++) {
      if (!(s[j]! > tiny)) continue;
      const vec = vectors[j]!;
      let sum = 0;
      for (let i = 0; i < cols; i++) sum += a[r * cols + i]! * vec[i]!;
      u[r * k + j] = sum / s[j]!;
    }
  }
  return { rows, cols, s, u, v };
}
