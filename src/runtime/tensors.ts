/** Building ORT tensors and reading them back, without exposing ORT types' quirks to callers. */
import { RetortError } from '../util/errors.js';
import { ort, type OrtTensor } from './ort.js';

export type { OrtTensor };

export function floatTensor(data: Float32Array, dims: readonly number[]): OrtTensor {
  return new ort.Tensor('float32', data, dims);
}

export function int64Tensor(data: BigInt64Array | readonly number[], dims: readonly number[]): OrtTensor {
  const values = data instanceof BigInt64Array ? data : BigInt64Array.from(data, (v) => BigInt(v));
  return new ort.Tensor('int64', values, dims);
}

export function int32Tensor(data: Int32Array, dims: readonly number[]): OrtTensor {
  return new ort.Tensor('int32', data, dims);
}

export function boolTensor(data: Uint8Array, dims: readonly number[]): OrtTensor {
  return new ort.Tensor('bool', data, dims);
}

export function scalarFloat(value: number): OrtTensor {
  return new ort.Tensor('float32', Float32Array.of(value), []);
}

/** A tensor of any ORT type from a typed array (the array's type decides the element type). */
export function tensorFromArray(type: ort.Tensor.Type, data: ort.Tensor.DataType, dims: readonly number[]): OrtTensor {
  return new ort.Tensor(type, data as never, dims);
}

export function readFloats(tensor: OrtTensor, what = 'tensor'): Float32Array {
  if (tensor.type !== 'float32') {
    throw new RetortError('UNSUPPORTED_DTYPE', `Expected ${what} to be float32, got ${tensor.type}`);
  }
  return tensor.data as Float32Array;
}

export function readScalar(tensor: OrtTensor): number {
  const data = tensor.data as ArrayLike<number | bigint>;
  return Number(data[0]);
}

export function dimsOf(tensor: OrtTensor): number[] {
  return [...tensor.dims];
}

/** ORT element type names by ONNX DataType code. */
export const ortTypeOfDataType: Record<number, ort.Tensor.Type> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string',
  9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 21: 'uint4', 22: 'int4',
};
