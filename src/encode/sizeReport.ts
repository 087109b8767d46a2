/**
 * Compressed size per layer in the layout of Deep Compression's Tables 2-5 (Han et al. 2016):
 * weights% (P) is the fraction of weights that survive pruning; weight bits are bits per stored
 * entry for the cluster index, fixed width (P+Q) or Huffman coded (P+Q+H); index bits likewise for
 * the relative position; the compress rate divides 32-bit dense storage by the layer's stored bits,
 * codebook included (and, with Huffman, the code-length tables).
 */
import type { EncodedLayer } from './dcFormat.js';

export interface LayerSize {
  layer: string;
  weights: number;
  /** Surviving fraction (P). */
  weightsFraction: number;
  weightBitsPQ: number;
  weightBitsPQH: number;
  indexBitsPQ: number;
  indexBitsPQH: number;
  compressRatePQ: number;
  compressRatePQH: number;
  /** Bytes of this layer in the .retort-dc file (codebook, tables, streams). */
  bytes: number;
}

export function layerSize(layer: EncodedLayer): LayerSize {
  const weights = layer.dims.reduce((a, b) => a * b, 1);
  const entries = Math.max(1, layer.entries);
  const symbolBits = Math.ceil(Math.log2(layer.fillers > 0 ? layer.clusters + 1 : layer.clusters));
  const codebookBits = 32 * layer.clusters;
  const tableBits = 8 * (layer.weightCodeLengths.length + layer.indexCodeLengths.length);
  const fixedBits = layer.entries * (symbolBits + layer.indexBits) + codebookBits;
  const huffmanBits = layer.weightStream.bits + layer.indexStream.bits + codebookBits + tableBits;
  return {
    layer: layer.parameter,
    weights,
    weightsFraction: layer.nonZero / weights,
    weightBitsPQ: symbolBits,
    weightBitsPQH: layer.weightStream.bits / entries,
    indexBitsPQ: layer.indexBits,
    indexBitsPQH: layer.indexStream.bits / entries,
    compressRatePQ: (32 * weights) / fixedBits,
    compressRatePQH: (32 * weights) / huffmanBits,
    bytes: layer.codebook.length + layer.weightCodeLengths.length + layer.indexCodeLengths.length + layer.weightStream.length + layer.indexStream.length,
  };
}

/** The table's Total row: sums of weights and bits, rates of the whole. */
export function totalSize(rows: readonly LayerSize[], layers: readonly EncodedLayer[]): LayerSize {
  const weights = rows.reduce((a, r) => a + r.weights, 0);
  const entries = layers.reduce((a, l) => a + l.entries, 0) || 1;
  const sum = (f: (r: LayerSize, l: EncodedLayer) => number): number => rows.reduce((a, r, i) => a + f(r, layers[i]!), 0);
  return {
    layer: 'Total',
    weights,
    weightsFraction: layers.reduce((a, l) => a + l.nonZero, 0) / Math.max(1, weights),
    weightBitsPQ: sum((r, l) => r.weightBitsPQ * l.entries) / entries,
    weightBitsPQH: sum((_, l) => l.weightStream.bits) / entries,
    indexBitsPQ: sum((r, l) => r.indexBitsPQ * l.entries) / entries,
    indexBitsPQH: sum((_, l) => l.indexStream.bits) / entries,
    compressRatePQ: (32 * weights) / sum((r) => (32 * r.weights) / r.compressRatePQ),
    compressRatePQH: (32 * weights) / sum((r) => (32 * r.weights) / r.compressRatePQH),
    bytes: sum((r) => r.bytes),
  };
}
