/**
 * The Huffman-coded size of a model file (Han et al. 2016, "Deep Compression", section 4): what the
 * file would take with each layer's weight stored as canonical Huffman codes of its values
 * (src/encode/huffman.ts) instead of at fixed width. It is reported only where it is relevant: for
 * models whose layer weights take few distinct values (quantized codes, weight-shared floats).
 *
 * Definition, per weighted layer (layers.ts), each stored tensor once:
 * - codable: integer storage (int8/uint8 codes under DequantizeLinear, MatMulNBits' 4-bit codes,
 *   ...) always; float storage when it takes at most 256 distinct values and coding it saves bits
 *   (weight sharing; a layer of all-distinct floats is never cheaper coded).
 * - dense form: Huffman-coded values + codebook, one entry per distinct value at the stored width
 *   plus its code length in one byte (what a canonical code needs to be rebuilt).
 * - sparse form, where some elements equal the value that decodes to 0: Deep Compression's storage
 *   (src/encode/sparseIndex.ts): the other elements as Huffman-coded codebook indices with filler
 *   entries, and Huffman-coded relative positions (8-bit fields for conv layers, 5-bit for fc, the
 *   paper's); codebook of the non-zero values, code-length bytes for every index symbol and every
 *   relative position, as the .retort-dc format stores them (src/encode/sizeReport.ts).
 * - the layer costs the fewest bits of: stored as is, dense, sparse; rounded up to whole bytes.
 * Plus the rest of the file (graph, biases, scales, zero points, layers not coded) at its raw size:
 * the file's bytes less the coded tensors' data at their stored width. Never more than the raw size.
 */
import { isFloatType } from '../../onnx/dtype.js';
import type { TensorProto } from '../../onnx/proto.js';
import { tensorByteLength } from '../../onnx/tensor.js';
import { huffmanCodeLengths } from '../../encode/huffman.js';
import { PAPER_INDEX_BITS } from '../../encode/deepCompression.js';
import { toSparseEntries } from '../../encode/sparseIndex.js';
import { sharedWeightKinds } from '../../encode/weightSharing.js';
import { qualifiedOpType, type StoredWeight } from './storedWeights.js';
import type { WeightedLayer } from './layers.js';

/** Deep Compression shares at most 256 values per layer (8-bit cluster indices). */
export const MAX_CODEBOOK = 256;
/** Bits per code length in the tables a decoder rebuilds the canonical code from. */
const CODE_LENGTH_BITS = 8;

/** Bits of `symbols` (values in [0, alphabet)) under their own optimal Huffman code. */
export function huffmanBits(symbols: ArrayLike<number>, alphabet: number): number {
  const frequencies = new Float64Array(alphabet);
  for (let i = 0; i < symbols.length; i++) frequencies[symbols[i]!]!++;
  const lengths = huffmanCodeLengths(frequencies);
  let bits = 0;
  for (let s = 0; s < alphabet; s++) bits += frequencies[s]! * lengths[s]!;
  return bits;
}

/** The values as indices into their distinct values (first-seen order); null past MAX_CODEBOOK. */
function codebookIndices(values: ArrayLike<number>): { indices: Int32Array; codebook: number[] } | null {
  const index = new Map<number, number>();
  const indices = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    let k = index.get(values[i]!);
    if (k === undefined) {
      if (index.size === MAX_CODEBOOK) return null;
      k = index.size;
      index.set(values[i]!, k);
    }
    indices[i] = k;
  }
  return { indices, codebook: [...index.keys()] };
}

/** Bits of one layer's weight Huffman coded (the cheaper of dense and sparse), or null if it is not codable. */
export function layerHuffmanBits(weight: StoredWeight, opType: string): number | null {
  const values = weight.storedValues();
  const coded = values ? codebookIndices(values) : null;
  if (!values || !coded) return null;
  const { indices, codebook } = coded;
  const entryBits = weight.bits + CODE_LENGTH_BITS;
  let best = huffmanBits(indices, codebook.length) + codebook.length * entryBits;
  const zero = weight.zeroValue === null ? -1 : codebook.indexOf(weight.zeroValue);
  if (zero >= 0) {
    // Cluster indices over the non-zero values; -1 marks the pruned elements sparseIndex skips.
    const clusters = indices.map((k) => (k === zero ? -1 : k < zero ? k : k - 1));
    const kinds = sharedWeightKinds.find(opType);
    const indexBits = PAPER_INDEX_BITS[kinds?.kind ?? 'fc'];
    const k = codebook.length - 1;
    const entries = toSparseEntries(clusters, indexBits, k);
    const sparse = huffmanBits(entries.symbols, k + 1) + huffmanBits(entries.gaps, 2 ** indexBits) + k * entryBits + CODE_LENGTH_BITS * (1 + 2 ** indexBits);
    best = Math.min(best, sparse);
  }
  return best;
}

/** The model's bytes with its codable layers Huffman coded; undefined where no layer is codable. */
export function huffmanBytes(rawBytes: number, layers: readonly WeightedLayer[]): number | undefined {
  const seen = new Set<TensorProto>();
  let saved = 0;
  let codable = false;
  for (const { node, weight } of layers) {
    const stored = weight.tensors[0]!;
    if (seen.has(stored)) continue;
    seen.add(stored);
    const bits = layerHuffmanBits(weight, qualifiedOpType(node));
    if (bits === null) continue;
    const storedBytes = tensorByteLength(stored);
    const codedBytes = Math.ceil(bits / 8);
    // A float layer counts as weight-shared only where coding pays; integer codes always count.
    if (codedBytes >= storedBytes && isFloatType(stored.dataType)) continue;
    codable = true;
    saved += Math.max(0, storedBytes - codedBytes);
  }
  return codable ? rawBytes - saved : undefined;
}
