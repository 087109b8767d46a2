/** What a model costs: parameters, bytes on disk, MACs, latency, and per-layer sparsity and bit-width. */

export interface LayerCost {
  /** The node name (or its first output where unnamed). */
  name: string;
  opType: string;
  /** Elements of the layer's weight. */
  weights: number;
  /** Fraction of weight elements that are exactly zero; null where the storage cannot be read as values. */
  sparsity: number | null;
  /** Bits per stored weight element: 32 float, 16 float16, 8 int8 QDQ, MatMulNBits' `bits`. */
  bits: number;
  /** MACs for the stated input shapes; null where a shape was not inferred. */
  macs: number | null;
}

export interface Latency {
  /** Milliseconds per run at `batch`. */
  p50Ms: number;
  p95Ms: number;
  meanMs: number;
  /** Samples per second at `batch` (batch x 1000 / mean ms). */
  throughput: number;
  batch: number;
  threads: number;
  runs: number;
  warmup: number;
  provider: string;
}

export interface ModelBytes {
  /** The .onnx file as stored. */
  raw: number;
  /** The same bytes through gzip level 9: what sparsity and weight sharing save once compressed. */
  gzip: number;
  /**
   * The file with each layer's weight values Huffman coded (Han et al. 2016): codes + codebook, or
   * Deep Compression's sparse form where cheaper, the rest of the file raw (definition in
   * huffmanSize.ts). Only for weights with few distinct values (quantized, weight-shared); absent
   * for float weights with many.
   */
  huffman?: number;
}

export interface ModelCost {
  /** Float tensors with more than one element (src/onnx/parameters.ts) plus layer weights stored as integers. */
  parameters: number;
  nonZeroParameters: number;
  bytes: ModelBytes;
  macs: { total: number; inputShapes: Record<string, number[]>; uncounted: string[] };
  latency: Latency;
  perLayer: LayerCost[];
}
