/**
 * Eigen-decomposition of a real symmetric matrix in float64: Householder reduction to tridiagonal
 * form, then the implicit QL algorithm (EISPACK tred2/tql2, as in JAMA). O(n^3), about a second for
 * n = 800 in V8. The vectors are kept as rows (`vectors[j]` is eigenvector j) so every inner loop
 * walks contiguous memory.
 */
export interface SymmetricEigen {
  /** Eigenvalues, largest first. */
  values: Float64Array;
  /** Row j is the unit eigenvector of values[j]. */
  vectors: Float64Array[];
}

/** `matrix` is n rows of n (only symmetric input is meaningful; it is not checked). */
export function symmetricEigen(matrix: readonly Float64Array[]): SymmetricEigen {
  const n = matrix.length;
  // t[b][a] holds JAMA's V[a][b]: V is symmetric at the start, so t starts as a copy of the matrix.
  const t = matrix.map((row) => Float64Array.from(row));
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return { values: d, vectors: [] };
  tridiagonalize(t, d, e);
  diagonalize(t, d, e);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => d[b]! - d[a]!);
  return { values: Float64Array.from(order, (i) => d[i]!), vectors: order.map((i) => t[i]!) };
}

/** tred2: symmetric Householder reduction to tridiagonal form, accumulating the transforms. */
function tridiagonalize(t: Float64Array[], d: Float64Array, e: Float64Array): void {
  const n = d.length;
  for (let j = 0; j < n; j++) d[j] = t[j]![n - 1]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = t[j]![i - 1]!;
        t[j]![i] = 0;
        t[i]![j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] = d[k]! / scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        t[i]![j] = f;
        const col = t[j]!;
        g = e[j]! + col[j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += col[k]! * d[k]!;
          e[k] = e[k]! + col[k]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] = e[j]! / h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] = e[j]! - hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        const col = t[j]!;
        for (let k = j; k <= i - 1; k++) col[k] = col[k]! - (f * e[k]! + g * d[k]!);
        d[j] = col[i - 1]!;
        col[i] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    t[i]![n - 1] = t[i]![i]!;
    t[i]![i] = 1;
    const h = d[i + 1]!;
    const next = t[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = next[k]! / h;
      for (let j = 0; j <= i; j++) {
        const col = t[j]!;
        let g = 0;
        for (let k = 0; k <= i; k++) g += next[k]! * col[k]!;
        for (let k = 0; k <= i; k++) col[k] = col[k]! - g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) next[k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = t[j]![n - 1]!;
    t[j]![n - 1] = 0;
  }
  t[n - 1]![n - 1] = 1;
  e[0] = 0;
}

/** tql2: implicit QL iterations on the tridiagonal matrix, rotating the accumulated vectors. */
function diagonalize(t: Float64Array[], d: Float64Array, e: Float64Array): void {
  const n = d.length;
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]!) > eps * tst1) m++;
    if (m > l) {
      do {
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.sqrt(p * p + 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] = d[i]! - h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.sqrt(p * p + e[i]! * e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          const a = t[i + 1]!;
          const b = t[i]!;
          for (let k = 0; k < n; k++) {
            const hk = a[k]!;
            a[k] = s * b[k]! + c * hk;
            b[k] = c * b[k]! - s * hk;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}
