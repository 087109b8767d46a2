/**
 * 1-D k-means for weight sharing (Han et al. 2016, "Deep Compression", section 3.1): centroids start
 * linearly spaced between the weights' min and max (the paper's best initialization: it keeps the few
 * large weights represented), then Lloyd iterations. In 1-D the nearest centroid is found by binary
 * search over the midpoints of the sorted centroids.
 */
export interface KMeansResult {
  centroids: Float32Array;
  /** Cluster of each value. */
  assignments: Uint16Array;
  iterations: number;
}

export function linearInit(values: ArrayLike<number>, k: number): Float64Array {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    min = Math.min(min, values[i]!);
    max = Math.max(max, values[i]!);
  }
  if (values.length === 0) min = max = 0;
  return Float64Array.from({ length: k }, (_, i) => (k === 1 ? (min + max) / 2 : min + ((max - min) * i) / (k - 1)));
}

function assign(values: ArrayLike<number>, sorted: Float64Array, out: Uint16Array): void {
  const k = sorted.length;
  const mids = Float64Array.from({ length: k - 1 }, (_, i) => (sorted[i]! + sorted[i + 1]!) / 2);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    let lo = 0;
    let hi = k - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (x > mids[mid]!) lo = mid + 1;
      else hi = mid;
    }
    out[i] = lo;
  }
}

export function kmeans1d(values: ArrayLike<number>, k: number, maxIterations = 100): KMeansResult {
  const centroids = linearInit(values, k);
  const assignments = new Uint16Array(values.length);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    assign(values, centroids, assignments);
    const sums = new Float64Array(k);
    const counts = new Float64Array(k);
    for (let i = 0; i < values.length; i++) {
      sums[assignments[i]!] = sums[assignments[i]!]! + values[i]!;
      counts[assignments[i]!] = counts[assignments[i]!]! + 1;
    }
    let moved = false;
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) continue; // an empty cluster keeps its place
      const next = sums[c]! / counts[c]!;
      if (next !== centroids[c]) moved = true;
      centroids[c] = next;
    }
    // Centroids stay sorted in 1-D Lloyd iterations (each is a mean of a contiguous range), keep it so.
    centroids.sort();
    if (!moved) break;
  }
  assign(values, centroids, assignments);
  return { centroids: Float32Array.from(centroids), assignments, iterations };
}
