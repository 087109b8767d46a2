/**
 * A layer's weight as the file stores it: traced from the layer's weight input back through the
 * nodes that only decode storage (DequantizeLinear, Constant) to the tensor on disk, with its
 * bit-width and how many of its elements decode to exactly zero.
 */
import { attrInt, attrTensor } from '../../onnx/attributes.js';
import { bitsPerElement, DataType } from '../../onnx/dtype.js';
import type { Graph } from '../../onnx/graph.js';
import type { NodeProto, TensorProto } from '../../onnx/proto.js';
import { elementCount, readTensor, tensorDims } from '../../onnx/tensor.js';
import { Registry } from '../../util/registry.js';

export interface StoredWeight {
  /** The tensors holding the weight in the file (one, or several for packed forms). */
  tensors: TensorProto[];
  elements: number;
  bits: number;
  /** Elements that decode to exactly 0; null where the storage cannot be read element by element. */
  zeros: number | null;
  /**
   * The stored element values in order (float bits read as numbers, integer codes as codes, no
   * padding), for entropy coding (huffmanSize.ts); null where the storage cannot be read.
   */
  storedValues(): ArrayLike<number> | null;
  /** The stored value that decodes to 0 for every element (one zero point); null where there is none. */
  zeroValue: number | null;
}

/** The tensor's elements as numbers, or null for element types with no typed array (4-bit, float8). */
function readValues(tensor: TensorProto): ArrayLike<number> | null {
  try {
    const values = readTensor(tensor);
    return values instanceof BigInt64Array || values instanceof BigUint64Array ? Array.from(values, Number) : values;
  } catch {
    return null;
  }
}

/** Op type as registries key it: plain for the default domain, `domain.OpType` otherwise. */
export function qualifiedOpType(node: NodeProto): string {
  return node.domain === '' || node.domain === 'ai.onnx' ? node.opType : `${node.domain}.${node.opType}`;
}

/** Float16/bfloat16 elements are raw bits: +0 and -0 are the bit patterns with no magnitude. */
const halfFloatTypes: ReadonlySet<number> = new Set([DataType.FLOAT16, DataType.BFLOAT16]);

/** Elements equal to the zero point (0 where none): for float and plain integer storage, the zeros. */
function countEqualTo(tensor: TensorProto, zeroPointOf: (index: number) => number): number | null {
  let values;
  try {
    values = readTensor(tensor);
  } catch {
    // 4-bit and float8 element types have no typed array here; their zeros are not counted.
    return null;
  }
  const magnitudeMask = halfFloatTypes.has(tensor.dataType) ? 0x7fff : -1;
  let zeros = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (magnitudeMask === -1 ? v === zeroPointOf(i) : (v & magnitudeMask) === 0) zeros++;
  }
  return zeros;
}

function plainWeight(tensor: TensorProto): StoredWeight {
  return {
    tensors: [tensor], elements: elementCount(tensorDims(tensor)), bits: bitsPerElement(tensor.dataType), zeros: countEqualTo(tensor, () => 0),
    storedValues: () => readValues(tensor),
    // Half floats are read as raw bits: +0 is the pattern 0 (-0 counts as a value of its own).
    zeroValue: 0,
  };
}

/** A value's tensor when it is an initializer or a Constant node's output. */
function constantTensor(value: string, graph: Graph): TensorProto | undefined {
  const init = graph.initializer(value);
  if (init) return init;
  const producer = graph.producerOf(value);
  return producer && qualifiedOpType(producer) === 'Constant' ? attrTensor(producer, 'value') : undefined;
}

/** How a storage-decoding node turns what the file holds into the weight its consumer reads. */
export type WeightSource = (node: NodeProto, graph: Graph) => StoredWeight | undefined;

/**
 * y = (x - zero_point) * scale (ONNX DequantizeLinear): x holds the weight at x's bit-width, and an
 * element is zero exactly when x equals its zero point (per tensor, or per slice along `axis`).
 * Blocked zero points (opset 21 `block_size`) are not expanded; their zeros are left uncounted.
 */
const dequantizeLinear: WeightSource = (node, graph) => {
  const x = constantTensor(node.input[0] ?? '', graph);
  if (!x) return undefined;
  const dims = tensorDims(x);
  const elements = elementCount(dims);
  const zpTensor = node.input[2] ? constantTensor(node.input[2], graph) : undefined;
  const storedValues = (): ArrayLike<number> | null => readValues(x);
  if (node.input[2] && !zpTensor) return { tensors: [x], elements, bits: bitsPerElement(x.dataType), zeros: null, storedValues, zeroValue: null };
  let zeroPointOf: ((index: number) => number) | null = () => 0;
  let zeroValue: number | null = 0;
  if (zpTensor) {
    const zp = Array.from(readTensor(zpTensor), Number);
    const rank = dims.length;
    const axis = ((attrInt(node, 'axis', 1) % Math.max(rank, 1)) + Math.max(rank, 1)) % Math.max(rank, 1);
    const stride = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    if (zp.length === 1) zeroPointOf = () => zp[0]!;
    else if (attrInt(node, 'block_size', 0) === 0 && zp.length === dims[axis]) zeroPointOf = (i) => zp[Math.floor(i / stride) % zp.length]!;
    else zeroPointOf = null;
    // Per-channel zero points that are all equal (symmetric int8 weights: all 0) still give one stored zero.
    zeroValue = zp.length > 0 && zp.every((z) => z === zp[0]) ? zp[0]! : null;
  }
  return { tensors: zpTensor ? [x, zpTensor] : [x], elements, bits: bitsPerElement(x.dataType), zeros: zeroPointOf ? countEqualTo(x, zeroPointOf) : null, storedValues, zeroValue };
};

export const weightSources = new Registry<WeightSource>('weight source').register('DequantizeLinear', dequantizeLinear);

/** The stored weight behind a value, or undefined when the value is computed (an activation). */
export function storedWeight(value: string, graph: Graph): StoredWeight | undefined {
  const tensor = constantTensor(value, graph);
  if (tensor) return plainWeight(tensor);
  const producer = graph.producerOf(value);
  const source = producer ? weightSources.find(qualifiedOpType(producer)) : undefined;
  return producer && source ? source(producer, graph) : undefined;
}

/**
 * com.microsoft MatMulNBits (ORT contrib op, the transformers.js q4 form): B is uint8
 * [N, blocks, blob] holding K values per row at `bits` bits each, low bits first, rows padded to
 * whole blocks. Without a zero_points input the zero point is 2^(bits-1), so an element is zero
 * exactly when its code equals that; with zero points given, zeros are left uncounted.
 */
export function matMulNBitsWeight(node: NodeProto, graph: Graph): StoredWeight | undefined {
  const packed = constantTensor(node.input[1] ?? '', graph);
  if (!packed) return undefined;
  const k = attrInt(node, 'K', 0);
  const n = attrInt(node, 'N', 0);
  const bits = attrInt(node, 'bits', 4);
  const blockSize = attrInt(node, 'block_size', 0);
  const elements = k * n;
  const countable = !node.input[3] && blockSize > 0 && 8 % bits === 0 && packed.dataType === DataType.UINT8;
  if (!countable) return { tensors: [packed], elements, bits, zeros: null, storedValues: () => null, zeroValue: null };
  const codes = unpackCodes(readTensor(packed) as Uint8Array, k, n, blockSize, bits);
  const zeroCode = 1 << (bits - 1);
  let zeros = 0;
  for (const code of codes) if (code === zeroCode) zeros++;
  return { tensors: [packed], elements, bits, zeros, storedValues: () => codes, zeroValue: zeroCode };
}

/** The K codes of each of the N rows, low bits first, without the padding to whole blocks. */
function unpackCodes(bytes: Uint8Array, k: number, n: number, blockSize: number, bits: number): Uint8Array {
  const rowBytes = (Math.ceil(k / blockSize) * blockSize * bits) / 8;
  const perByte = 8 / bits;
  const mask = (1 << bits) - 1;
  const codes = new Uint8Array(k * n);
  for (let row = 0; row < n; row++) {
    for (let i = 0; i < k; i++) {
      const byte = bytes[row * rowBytes + Math.floor(i / perByte)]!;
      codes[row * k + i] = (byte >> ((i % perByte) * bits)) & mask;
    }
  }
  return codes;
}
