/**
 * The pure arithmetic of the temperature–batch-size benchmark (bench/temperatureBatch.bench.ts):
 * the variance of R gradient vectors from their Gram matrix (so a bootstrap over the R batches
 * needs no stored gradients), an ordinary least-squares fit, and log–log interpolation.
 */

/** Gram matrix G[r][s] = g_r · g_s of R vectors of equal length, R x R row-major, in float64. */
export function gramMatrix(vectors: readonly Float32Array[]): Float64Array {
  const n = vectors.length;
  const gram = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let s = r; s < n; s++) {
      const a = vectors[r]!;
      const b = vectors[s]!;
      let dot = 0;
      for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
      gram[r * n + s] = dot;
      gram[s * n + r] = dot;
    }
  }
  return gram;
}

/**
 * Total variance (trace of the covariance, unbiased: divisor n - 1) of the vectors picked by
 * `indices` (repeats allowed, as in a bootstrap resample) from their Gram matrix `gram` (R x R):
 *   sum_i ||g_i - mean||^2 = sum_i G_ii - (1/n) sum_ij G_ij.
 * The mean per-coordinate variance is this divided by the vector length.
 */
export function traceVariance(gram: Float64Array, size: number, indices: ArrayLike<number>): number {
  const n = indices.length;
  if (n < 2) return NaN;
  let diagonal = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const row = indices[i]! * size;
    diagonal += gram[row + indices[i]!]!;
    for (let j = 0; j < n; j++) total += gram[row + indices[j]!]!;
  }
  return (diagonal - total / n) / (n - 1);
}

/** Least-squares coefficients beta minimising ||X beta - y||^2 (normal equations, Gaussian elimination with partial pivoting). */
export function leastSquares(rows: readonly (readonly number[])[], y: readonly number[]): number[] {
  const p = rows[0]?.length ?? 0;
  if (rows.length !== y.length || rows.length < p || p === 0) throw new Error(`leastSquares needs at least ${p} rows matching y (got ${rows.length} rows, ${y.length} targets)`);
  // Augmented [X'X | X'y].
  const m = Array.from({ length: p }, (_, i) => {
    const line = new Array<number>(p + 1).fill(0);
    for (let r = 0; r < rows.length; r++) {
      for (let j = 0; j < p; j++) line[j]! += rows[r]![i]! * rows[r]![j]!;
      line[p]! += rows[r]![i]! * y[r]!;
    }
    return line;
  });
  for (let col = 0; col < p; col++) {
    let pivot = col;
    for (let r = col + 1; r < p; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const lead = m[col]![col]!;
    if (lead === 0) throw new Error('leastSquares: the design matrix has dependent columns');
    for (let r = 0; r < p; r++) {
      if (r === col) continue;
      const factor = m[r]![col]! / lead;
      for (let j = col; j <= p; j++) m[r]![j]! -= factor * m[col]![j]!;
    }
  }
  return m.map((line, i) => line[p]! / line[i]!);
}

export interface PowerLawFit {
  /** log V = intercept + batchExponent log B + temperatureExponent log T. */
  intercept: number;
  batchExponent: number;
  temperatureExponent: number;
  /** T ∝ B^k along a level set of V: k = -batchExponent / temperatureExponent. */
  k: number;
}

/** Fit log V = a + b log B + c log T over cells; the iso-variance exponent k = -b / c. */
export function fitPowerLaw(cells: readonly { batch: number; temperature: number; variance: number }[]): PowerLawFit {
  const [intercept, batchExponent, temperatureExponent] = leastSquares(
    cells.map((c) => [1, Math.log(c.batch), Math.log(c.temperature)]),
    cells.map((c) => Math.log(c.variance)),
  ) as [number, number, number];
  return { intercept, batchExponent, temperatureExponent, k: -batchExponent / temperatureExponent };
}

/**
 * The x at which the piecewise log–log linear curve through (xs, ys) first reaches `target`, or
 * null when no segment brackets it (xs ascending, all positive).
 */
export function logLogCrossing(xs: readonly number[], ys: readonly number[], target: number): number | null {
  const lt = Math.log(target);
  for (let i = 0; i + 1 < xs.length; i++) {
    const y0 = Math.log(ys[i]!);
    const y1 = Math.log(ys[i + 1]!);
    if ((y0 - lt) * (y1 - lt) > 0 || y0 === y1) continue;
    const f = (lt - y0) / (y1 - y0);
    return Math.exp(Math.log(xs[i]!) + f * (Math.log(xs[i + 1]!) - Math.log(xs[i]!)));
  }
  return null;
}
