/**
 * The .retort-dc file: Deep Compression's storage, decodable back to ONNX.
 *
 *   "RETORTDC" | u32 LE header length | JSON header | binary sections
 *
 * The header lists, per shared layer, its dims, cluster count, relative-index width, entry count and
 * where its sections lie: the codebook (float32 LE), the Huffman code lengths of the weight symbols
 * and of the relative indices (one byte per symbol; canonical codes follow from them), and the two
 * Huffman bit streams. The rest of the model (graph, biases, anything not shared) is one ONNX
 * "skeleton" section with the shared initializers emptied. decodeDeepCompressed rebuilds the exact
 * model the encoder was given.
 */
import { Graph } from '../onnx/graph.js';
import { decodeModel, encodeModel } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { writeTensor } from '../onnx/tensor.js';
import { cloneForEditing } from '../autodiff/gradientModel.js';
import { RetortError } from '../util/errors.js';
import { BitReader, BitWriter } from './bits.js';
import { huffmanCodeLengths, huffmanDecode, huffmanEncode } from './huffman.js';
import { fromSparseEntries, toSparseEntries } from './sparseIndex.js';
import { sharedValues, type LayerKind, type SharedLayer } from './weightSharing.js';

const MAGIC = 'RETORTDC';

interface Section {
  offset: number;
  length: number;
}

export interface EncodedLayer {
  parameter: string;
  dims: number[];
  kind: LayerKind;
  clusters: number;
  indexBits: number;
  entries: number;
  fillers: number;
  nonZero: number;
  codebook: Section;
  weightCodeLengths: Section;
  indexCodeLengths: Section;
  weightStream: Section & { bits: number };
  indexStream: Section & { bits: number };
}

interface Header {
  format: 'retort-dc';
  version: 1;
  skeleton: Section;
  layers: EncodedLayer[];
}

export interface IndexBits {
  conv: number;
  fc: number;
}

/** Encode `model` whose shared layers hold exactly `sharedValues(layer)`. */
export function encodeDeepCompressed(model: ModelProto, layers: readonly SharedLayer[], indexBits: IndexBits): { bytes: Uint8Array; layers: EncodedLayer[] } {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const add = (bytes: Uint8Array): Section => {
    chunks.push(bytes);
    const section = { offset, length: bytes.byteLength };
    offset += bytes.byteLength;
    return section;
  };
  const encoded: EncodedLayer[] = [];
  for (const layer of layers) {
    const bits = indexBits[layer.kind];
    const k = layer.codebook.length;
    const entries = toSparseEntries(layer.clusters, bits, k);
    const weightLengths = huffmanCodeLengths(histogram(entries.symbols, k + 1));
    const indexLengths = huffmanCodeLengths(histogram(entries.gaps, 2 ** bits));
    const weightWriter = new BitWriter();
    huffmanEncode(entries.symbols, weightLengths, weightWriter);
    const indexWriter = new BitWriter();
    huffmanEncode(entries.gaps, indexLengths, indexWriter);
    const fillers = entries.symbols.filter((s) => s === k).length;
    encoded.push({
      parameter: layer.parameter, dims: layer.dims, kind: layer.kind, clusters: k, indexBits: bits,
      entries: entries.gaps.length, fillers, nonZero: entries.gaps.length - fillers,
      codebook: add(new Uint8Array(Float32Array.from(layer.codebook).buffer)),
      weightCodeLengths: add(weightLengths),
      indexCodeLengths: add(indexLengths),
      weightStream: { ...add(weightWriter.finish()), bits: weightWriter.bitLength },
      indexStream: { ...add(indexWriter.finish()), bits: indexWriter.bitLength },
    });
  }
  const skeleton = cloneForEditing(model);
  const shared = new Set(layers.map((l) => l.parameter));
  skeleton.graph!.initializer = skeleton.graph!.initializer.map((t) => (shared.has(t.name) ? { ...t, rawData: new Uint8Array(0) } : t));
  const header: Header = { format: 'retort-dc', version: 1, skeleton: add(encodeModel(skeleton)), layers: encoded };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(12);
  prefix.write(MAGIC, 0, 'ascii');
  prefix.writeUInt32LE(json.byteLength, 8);
  return { bytes: Buffer.concat([prefix, json, ...chunks]), layers: encoded };
}

function histogram(values: Uint32Array, size: number): Float64Array {
  const h = new Float64Array(size);
  for (const v of values) h[v] = h[v]! + 1;
  return h;
}

/** Rebuild the ONNX model from a .retort-dc file's bytes; `source` names it in errors. */
export function decodeDeepCompressed(bytes: Uint8Array, source = '<bytes>'): ModelProto {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.byteLength < 12 || buffer.toString('ascii', 0, 8) !== MAGIC) throw new RetortError('CORRUPT_MODEL', `${source} is not a .retort-dc file (no ${MAGIC} magic)`);
  const headerLength = buffer.readUInt32LE(8);
  let header: Header;
  try {
    header = JSON.parse(buffer.toString('utf8', 12, 12 + headerLength)) as Header;
  } catch (e) {
    throw new RetortError('CORRUPT_MODEL', `${source}: unreadable header (${(e as Error).message})`, { cause: e });
  }
  if (header.format !== 'retort-dc' || header.version !== 1) throw new RetortError('CORRUPT_MODEL', `${source}: unsupported format ${header.format} version ${header.version}`);
  const base = 12 + headerLength;
  const section = (s: Section): Uint8Array => {
    if (base + s.offset + s.length > buffer.byteLength) throw new RetortError('CORRUPT_MODEL', `${source} is truncated`);
    return new Uint8Array(buffer.subarray(base + s.offset, base + s.offset + s.length));
  };
  const model = decodeModel(section(header.skeleton), source);
  const graph = new Graph(model.graph!);
  for (const layer of header.layers) {
    const k = layer.clusters;
    const codebook = new Float32Array(section(layer.codebook).slice().buffer);
    const symbols = huffmanDecode(new BitReader(section(layer.weightStream)), section(layer.weightCodeLengths), layer.entries);
    const gaps = huffmanDecode(new BitReader(section(layer.indexStream)), section(layer.indexCodeLengths), layer.entries);
    const count = layer.dims.reduce((a, b) => a * b, 1);
    const clusters = fromSparseEntries({ gaps, symbols, filler: k }, count);
    const tensor = graph.initializer(layer.parameter);
    if (!tensor) throw new RetortError('CORRUPT_MODEL', `${source}: the skeleton has no initializer "${layer.parameter}"`);
    writeTensor(tensor, sharedValues({ parameter: layer.parameter, dims: layer.dims, kind: layer.kind, codebook, clusters }));
  }
  return model;
}
