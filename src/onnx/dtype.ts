/** ONNX TensorProto.DataType: codes, names, element sizes, and the typed arrays that hold them. */
import { RetortError } from '../util/errors.js';

export const DataType = {
  UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8,
  BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15,
  BFLOAT16: 16, FLOAT8E4M3FN: 17, FLOAT8E4M3FNUZ: 18, FLOAT8E5M2: 19, FLOAT8E5M2FNUZ: 20,
  UINT4: 21, INT4: 22, FLOAT4E2M1: 23,
} as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

const names = new Map<number, string>(Object.entries(DataType).map(([k, v]) => [v, k.toLowerCase()]));

export function dataTypeName(code: number): string {
  return names.get(code) ?? `unknown(${code})`;
}

/** Bits per element; 4-bit types pack two elements per byte. */
export function bitsPerElement(code: number): number {
  switch (code) {
    case DataType.UINT4: case DataType.INT4: case DataType.FLOAT4E2M1: return 4;
    case DataType.BOOL: case DataType.UINT8: case DataType.INT8: case DataType.FLOAT8E4M3FN:
    case DataType.FLOAT8E4M3FNUZ: case DataType.FLOAT8E5M2: case DataType.FLOAT8E5M2FNUZ: return 8;
    case DataType.UINT16: case DataType.INT16: case DataType.FLOAT16: case DataType.BFLOAT16: return 16;
    case DataType.FLOAT: case DataType.INT32: case DataType.UINT32: return 32;
    case DataType.DOUBLE: case DataType.INT64: case DataType.UINT64: case DataType.COMPLEX64: return 64;
    case DataType.COMPLEX128: return 128;
    default:
      throw new RetortError('UNSUPPORTED_DTYPE', `Data type ${dataTypeName(code)} has no fixed element size`);
  }
}

/** Bytes that `count` elements occupy in raw_data (4-bit types round up to whole bytes). */
export function byteLength(code: number, count: number): number {
  return Math.ceil((count * bitsPerElement(code)) / 8);
}

export function isFloatType(code: number): boolean {
  return (
    code === DataType.FLOAT || code === DataType.DOUBLE || code === DataType.FLOAT16 ||
    code === DataType.BFLOAT16 || (code >= DataType.FLOAT8E4M3FN && code <= DataType.FLOAT8E5M2FNUZ) ||
    code === DataType.FLOAT4E2M1
  );
}

export type NumericArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array
  | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

/** The typed array a value of this type decodes to (16-bit floats stay as raw Uint16 bits). */
export function typedArrayFor(code: number, length: number): NumericArray {
  switch (code) {
    case DataType.FLOAT: return new Float32Array(length);
    case DataType.DOUBLE: return new Float64Array(length);
    case DataType.INT8: return new Int8Array(length);
    case DataType.UINT8: case DataType.BOOL: return new Uint8Array(length);
    case DataType.INT16: return new Int16Array(length);
    case DataType.UINT16: case DataType.FLOAT16: case DataType.BFLOAT16: return new Uint16Array(length);
    case DataType.INT32: return new Int32Array(length);
    case DataType.UINT32: return new Uint32Array(length);
    case DataType.INT64: return new BigInt64Array(length);
    case DataType.UINT64: return new BigUint64Array(length);
    default:
      throw new RetortError('UNSUPPORTED_DTYPE', `No typed array for data type ${dataTypeName(code)}`);
  }
}
