/**
 * Deep Compression's sparse storage (Han et al. 2016, section 2 and Figure 2): non-zero weights in
 * row-major order, each with the distance from the previous one as a `bits`-wide relative index (the
 * paper uses 8 bits for conv layers, 5 for fc). A gap wider than the field holds is bridged by a
 * filler entry: relative index 2^bits - 1 and the reserved symbol FILLER, a stored zero.
 */
export interface SparseEntries {
  /** Zeros skipped before each entry, in [0, 2^bits). */
  gaps: Uint32Array;
  /** Cluster index of each entry, or `filler` for a padding zero. */
  symbols: Uint32Array;
  filler: number;
}

/** `clusters[i]` is the cluster of element i, or -1 for a pruned (zero) element. */
export function toSparseEntries(clusters: Int32Array, bits: number, filler: number): SparseEntries {
  const maxGap = 2 ** bits - 1;
  const gaps: number[] = [];
  const symbols: number[] = [];
  let previous = -1;
  for (let i = 0; i < clusters.length; i++) {
    if (clusters[i]! < 0) continue;
    let gap = i - previous - 1;
    while (gap > maxGap) {
      gaps.push(maxGap);
      symbols.push(filler);
      previous += maxGap + 1;
      gap -= maxGap + 1;
    }
    gaps.push(gap);
    symbols.push(clusters[i]!);
    previous = i;
  }
  return { gaps: Uint32Array.from(gaps), symbols: Uint32Array.from(symbols), filler };
}

export function fromSparseEntries(entries: SparseEntries, length: number): Int32Array {
  const clusters = new Int32Array(length).fill(-1);
  let position = -1;
  for (let e = 0; e < entries.gaps.length; e++) {
    position += entries.gaps[e]! + 1;
    if (entries.symbols[e] !== entries.filler) clusters[position] = entries.symbols[e]!;
  }
  return clusters;
}
