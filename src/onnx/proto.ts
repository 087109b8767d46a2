/**
 * Decoded ONNX messages as TypeScript sees them, and the protobufjs codec for ModelProto.
 * int64 fields decode as `Long` (exact) and may be set as plain numbers; read them with `int64ToNumber`.
 */
import protobuf from 'protobufjs';
import Long from 'long';
import { onnxSchema } from './schema.js';

// protobufjs decodes int64 exactly only when it has a Long implementation; make sure it does.
protobuf.util.Long = Long;
protobuf.configure();

export type Int64 = number | Long;

export interface StringStringEntryProto { key: string; value: string }
export interface OperatorSetIdProto { domain: string; version: Int64 }
export interface TensorShapeDimension { dimValue?: Int64; dimParam?: string; denotation?: string }
export interface TensorShapeProto { dim: TensorShapeDimension[] }
export interface TypeProto {
  tensorType?: { elemType: number; shape?: TensorShapeProto | null } | null;
  sequenceType?: { elemType?: TypeProto | null } | null;
  mapType?: { keyType: number; valueType?: TypeProto | null } | null;
  optionalType?: { elemType?: TypeProto | null } | null;
  sparseTensorType?: { elemType: number; shape?: TensorShapeProto | null } | null;
  denotation?: string;
}
export interface ValueInfoProto {
  name: string;
  type?: TypeProto | null;
  docString?: string;
  metadataProps?: StringStringEntryProto[];
}
export interface TensorProto {
  dims: Int64[];
  dataType: number;
  segment?: { begin: Int64; end: Int64 } | null;
  floatData: number[];
  int32Data: number[];
  stringData: Uint8Array[];
  int64Data: Int64[];
  name: string;
  docString?: string;
  rawData: Uint8Array;
  externalData: StringStringEntryProto[];
  dataLocation: number;
  doubleData: number[];
  uint64Data: Int64[];
  metadataProps?: StringStringEntryProto[];
}
export interface SparseTensorProto { values?: TensorProto | null; indices?: TensorProto | null; dims: Int64[] }
export interface AttributeProto {
  name: string;
  refAttrName?: string;
  docString?: string;
  type: number;
  f: number;
  i: Int64;
  s: Uint8Array;
  t?: TensorProto | null;
  g?: GraphProto | null;
  sparseTensor?: SparseTensorProto | null;
  tp?: TypeProto | null;
  floats: number[];
  ints: Int64[];
  strings: Uint8Array[];
  tensors: TensorProto[];
  graphs: GraphProto[];
  sparseTensors: SparseTensorProto[];
  typeProtos: TypeProto[];
}
export interface NodeProto {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  domain: string;
  overload?: string;
  attribute: AttributeProto[];
  docString?: string;
  metadataProps?: StringStringEntryProto[];
}
export interface GraphProto {
  node: NodeProto[];
  name: string;
  initializer: TensorProto[];
  sparseInitializer: SparseTensorProto[];
  docString?: string;
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
  quantizationAnnotation: { tensorName: string; quantParameterTensorNames: StringStringEntryProto[] }[];
  metadataProps?: StringStringEntryProto[];
}
export interface FunctionProto {
  name: string;
  domain: string;
  node: NodeProto[];
  input: string[];
  output: string[];
  opsetImport: OperatorSetIdProto[];
}
export interface ModelProto {
  irVersion: Int64;
  opsetImport: OperatorSetIdProto[];
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: Int64;
  docString: string;
  graph?: GraphProto | null;
  metadataProps: StringStringEntryProto[];
  trainingInfo: unknown[];
  functions: FunctionProto[];
}

const root = protobuf.Root.fromJSON(onnxSchema);
const types = {
  ModelProto: root.lookupType('onnx.ModelProto'),
  NodeProto: root.lookupType('onnx.NodeProto'),
  TensorProto: root.lookupType('onnx.TensorProto'),
  AttributeProto: root.lookupType('onnx.AttributeProto'),
  ValueInfoProto: root.lookupType('onnx.ValueInfoProto'),
  GraphProto: root.lookupType('onnx.GraphProto'),
};

/** Decode a ModelProto; throws protobufjs errors on malformed bytes (callers wrap them). */
export function decodeModelProto(bytes: Uint8Array): ModelProto {
  return types.ModelProto.decode(bytes) as unknown as ModelProto;
}

export function encodeModelProto(model: ModelProto): Uint8Array {
  return types.ModelProto.encode(model as unknown as protobuf.Message).finish();
}

/** Create messages whose unset fields read as proto defaults (empty lists, zero, ""). */
export function newNode(fields: Partial<NodeProto>): NodeProto {
  return types.NodeProto.create(fields) as unknown as NodeProto;
}
export function newTensor(fields: Partial<TensorProto>): TensorProto {
  return types.TensorProto.create(fields) as unknown as TensorProto;
}
export function newAttribute(fields: Partial<AttributeProto>): AttributeProto {
  return types.AttributeProto.create(fields) as unknown as AttributeProto;
}
export function newValueInfo(fields: Partial<ValueInfoProto>): ValueInfoProto {
  return types.ValueInfoProto.create(fields) as unknown as ValueInfoProto;
}
export function newGraph(fields: Partial<GraphProto>): GraphProto {
  return types.GraphProto.create(fields) as unknown as GraphProto;
}
export function newModel(fields: Partial<ModelProto>): ModelProto {
  return types.ModelProto.create(fields) as unknown as ModelProto;
}

/** An int64 field as a JS number; values beyond 2^53 (e.g. INT64_MAX as "to the end") lose precision. */
export function int64ToNumber(value: Int64 | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}
