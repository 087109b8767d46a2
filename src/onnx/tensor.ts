/**
 * Reading and writing TensorProto contents. retort always writes `raw_data` (little-endian, as
 * ONNX requires); it reads every storage form exporters use: raw_data or the typed repeated
 * fields, which pack narrow types into int32_data.
 */
import { RetortError } from '../util/errors.js';
import { DataType, byteLength, dataTypeName, typedArrayFor, type NumericArray } from './dtype.js';
import { int64ToNumber, newTensor, type TensorProto } from './proto.js';

export function tensorDims(tensor: TensorProto): number[] {
  return tensor.dims.map(int64ToNumber);
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function isExternal(tensor: TensorProto): boolean {
  return tensor.dataLocation === 1;
}

/** Bytes that a tensor's data occupies, whichever field holds it. */
export function tensorByteLength(tensor: TensorProto): number {
  if (tensor.dataType === DataType.STRING) return tensor.stringData.reduce((n, s) => n + s.byteLength, 0);
  return byteLength(tensor.dataType, elementCount(tensorDims(tensor)));
}

/** The tensor's elements in a fresh typed array (16-bit floats as raw bits, 4-bit types unsupported). */
export function readTensor(tensor: TensorProto): NumericArray {
  if (isExternal(tensor)) {
    throw new RetortError('GRAPH_INVALID', `Tensor "${tensor.name}" still points at external data; load the model with its data`);
  }
  const count = elementCount(tensorDims(tensor));
  const out = typedArrayFor(tensor.dataType, count);
  if (tensor.rawData && tensor.rawData.byteLength > 0) {
    if (tensor.rawData.byteLength !== out.byteLength) {
      throw new RetortError(
        'CORRUPT_MODEL',
        `Tensor "${tensor.name}" has ${tensor.rawData.byteLength} bytes of raw_data, expected ${out.byteLength} for ${dataTypeName(tensor.dataType)}[${tensorDims(tensor).join(',')}]`,
      );
    }
    new Uint8Array(out.buffer).set(tensor.rawData);
    return out;
  }
  const source = typedFieldOf(tensor);
  if (source.length !== count) {
    throw new RetortError('CORRUPT_MODEL', `Tensor "${tensor.name}" holds ${source.length} elements, its dims say ${count}`);
  }
  if (out instanceof BigInt64Array || out instanceof BigUint64Array) {
    for (let i = 0; i < count; i++) out[i] = BigInt(String(source[i]));
  } else {
    for (let i = 0; i < count; i++) out[i] = Number(source[i]);
  }
  return out;
}

function typedFieldOf(tensor: TensorProto): ArrayLike<unknown> {
  switch (tensor.dataType) {
    case DataType.FLOAT: return tensor.floatData;
    case DataType.DOUBLE: return tensor.doubleData;
    case DataType.INT64: return tensor.int64Data;
    case DataType.UINT64: case DataType.UINT32: return tensor.uint64Data;
    default: return tensor.int32Data; // int8/16/32, uint8/16, bool, float16, bfloat16 per onnx.proto
  }
}

/** A float32 view of a FLOAT tensor's elements (a copy). */
export function readFloat32(tensor: TensorProto): Float32Array {
  if (tensor.dataType !== DataType.FLOAT) {
    throw new RetortError('UNSUPPORTED_DTYPE', `Tensor "${tensor.name}" is ${dataTypeName(tensor.dataType)}, expected float`);
  }
  return readTensor(tensor) as Float32Array;
}

function bytesOf(data: NumericArray): Uint8Array {
  // Copy, so the tensor does not alias memory the caller may keep changing.
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

/** Replace a tensor's contents (same element count), written as raw_data. */
export function writeTensor(tensor: TensorProto, data: NumericArray): void {
  const count = elementCount(tensorDims(tensor));
  if (data.length !== count) {
    throw new RetortError('BAD_ARGUMENT', `Tensor "${tensor.name}" holds ${count} elements, got ${data.length}`);
  }
  clearData(tensor);
  tensor.rawData = bytesOf(data);
}

function clearData(tensor: TensorProto): void {
  tensor.floatData = [];
  tensor.int32Data = [];
  tensor.int64Data = [];
  tensor.doubleData = [];
  tensor.uint64Data = [];
  tensor.externalData = [];
  tensor.dataLocation = 0;
}

const dtypeOfArray = (data: NumericArray): number => {
  if (data instanceof Float32Array) return DataType.FLOAT;
  if (data instanceof Float64Array) return DataType.DOUBLE;
  if (data instanceof Int8Array) return DataType.INT8;
  if (data instanceof Uint8Array) return DataType.UINT8;
  if (data instanceof Int16Array) return DataType.INT16;
  if (data instanceof Uint16Array) return DataType.UINT16;
  if (data instanceof Int32Array) return DataType.INT32;
  if (data instanceof Uint32Array) return DataType.UINT32;
  if (data instanceof BigInt64Array) return DataType.INT64;
  return DataType.UINT64;
};

/** A new tensor from a typed array; `dataType` overrides the array's type (e.g. FLOAT16 from Uint16Array). */
export function makeTensor(name: string, dims: readonly number[], data: NumericArray, dataType?: number): TensorProto {
  if (elementCount(dims) !== data.length) {
    throw new RetortError('BAD_ARGUMENT', `Tensor "${name}": dims [${dims.join(',')}] hold ${elementCount(dims)} elements, got ${data.length}`);
  }
  return newTensor({ name, dims: [...dims], dataType: dataType ?? dtypeOfArray(data), rawData: bytesOf(data) });
}
