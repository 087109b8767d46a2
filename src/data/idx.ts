/**
 * The IDX format of LeCun's MNIST distribution: two zero bytes, a type code, the rank, big-endian
 * uint32 dimensions, then the elements, big-endian, row-major. gzip-compressed files (as the
 * original site serves them) are decompressed transparently.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { RetortError } from '../util/errors.js';

export type IdxElements = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dims: number[];
  /** Element type as the file declares it. */
  type: IdxType;
  data: IdxElements;
}

export type IdxType = 'ubyte' | 'byte' | 'short' | 'int' | 'float' | 'double';

interface IdxTypeInfo {
  type: IdxType;
  bytes: number;
  allocate: (count: number) => IdxElements;
  read: (view: DataView, offset: number) => number;
}

const TYPES = new Map<number, IdxTypeInfo>([
  [0x08, { type: 'ubyte', bytes: 1, allocate: (n) => new Uint8Array(n), read: (v, o) => v.getUint8(o) }],
  [0x09, { type: 'byte', bytes: 1, allocate: (n) => new Int8Array(n), read: (v, o) => v.getInt8(o) }],
  [0x0b, { type: 'short', bytes: 2, allocate: (n) => new Int16Array(n), read: (v, o) => v.getInt16(o) }],
  [0x0c, { type: 'int', bytes: 4, allocate: (n) => new Int32Array(n), read: (v, o) => v.getInt32(o) }],
  [0x0d, { type: 'float', bytes: 4, allocate: (n) => new Float32Array(n), read: (v, o) => v.getFloat32(o) }],
  [0x0e, { type: 'double', bytes: 8, allocate: (n) => new Float64Array(n), read: (v, o) => v.getFloat64(o) }],
]);

const GZIP_MAGIC = [0x1f, 0x8b];

/** Parse IDX bytes; `source` names the file in error messages. */
export function parseIdx(bytes: Uint8Array, source = '<bytes>'): IdxArray {
  if (bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new RetortError('DATA_INVALID', `${source} is gzip-compressed but does not decompress: ${(e as Error).message}`, { cause: e });
    }
  }
  const invalid = (why: string): RetortError => new RetortError('DATA_INVALID', `${source} is not a valid IDX file: ${why}`);
  if (bytes.byteLength < 4) throw invalid(`${bytes.byteLength} bytes, shorter than the 4-byte magic number`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw invalid(`magic number starts ${hex(bytes[0]!)} ${hex(bytes[1]!)}, expected 00 00`);
  }
  const info = TYPES.get(bytes[2]!);
  if (!info) {
    const valid = [...TYPES].map(([code, t]) => `${hex(code)} ${t.type}`).join(', ');
    throw invalid(`unknown element type code ${hex(bytes[2]!)}. Should be one of: ${valid}`);
  }
  const rank = bytes[3]!;
  const headerBytes = 4 + 4 * rank;
  if (bytes.byteLength < headerBytes) {
    throw invalid(`truncated header: rank ${rank} needs ${headerBytes} header bytes, the file has ${bytes.byteLength}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let axis = 0; axis < rank; axis++) dims.push(view.getUint32(4 + 4 * axis, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const expected = headerBytes + count * info.bytes;
  if (bytes.byteLength < expected) {
    throw invalid(`truncated: dims [${dims.join(',')}] of ${info.type} need ${expected} bytes, the file has ${bytes.byteLength}`);
  }
  if (bytes.byteLength > expected) {
    throw invalid(`${bytes.byteLength - expected} bytes follow the ${count} elements that dims [${dims.join(',')}] declare`);
  }
  const data = info.allocate(count);
  if (info.bytes === 1) {
    // Single bytes have no byte order: one copy (into our own buffer, so no Buffer pool is shared).
    new Uint8Array(data.buffer).set(bytes.subarray(headerBytes, expected));
  } else {
    for (let i = 0; i < count; i++) data[i] = info.read(view, headerBytes + i * info.bytes);
  }
  return { dims, type: info.type, data };
}

/** Read an IDX file (optionally gzip-compressed). */
export function readIdx(path: string): IdxArray {
  if (!existsSync(path)) throw new RetortError('FILE_NOT_FOUND', `No such file: ${path}`);
  return parseIdx(readFileSync(path), path);
}

function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0')}`;
}
