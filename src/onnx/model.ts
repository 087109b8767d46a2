/**
 * Loading and saving ONNX models: bytes <-> ModelProto, with external data read on load (so the
 * in-memory model is self-contained) and optionally written on save above a size threshold.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { RetortError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomicWrite.js';
import { closeAll, EXTERNAL_ALIGNMENT, inlineExternalTensor } from './externalData.js';
import { decodeModelProto, encodeModelProto, int64ToNumber, type ModelProto, type TensorProto } from './proto.js';
import { forEachTensor } from './visit.js';
import { validateModel } from './validate.js';

/** Protobuf cannot encode a message of 2 GiB or more; such models need external data. */
export const PROTOBUF_LIMIT = 2 ** 31 - 1;

export interface ExternalDataOptions {
  /** Side file name, relative to the model; default `<model file>.data`. */
  location?: string;
  /** Tensors of at least this many bytes go to the side file; default 1024. */
  threshold?: number;
}

export interface SaveOptions {
  externalData?: ExternalDataOptions | boolean;
}

/** Decode model bytes; `source` names the file in error messages. */
export function decodeModel(bytes: Uint8Array, source = '<bytes>'): ModelProto {
  if (bytes.byteLength === 0) throw new RetortError('NOT_ONNX', `${source} is empty, not an ONNX model`);
  let model: ModelProto;
  try {
    model = decodeModelProto(bytes);
  } catch (e) {
    // ModelProto starts with ir_version (field 1, varint: tag 0x08) in every exporter's output; a file
    // that starts so and fails to decode is a damaged model, anything else was never one.
    const code = bytes[0] === 0x08 ? 'CORRUPT_MODEL' : 'NOT_ONNX';
    const what = code === 'CORRUPT_MODEL' ? 'is a truncated or corrupt ONNX model' : 'is not an ONNX model';
    throw new RetortError(code, `${source} ${what} (${(e as Error).message})`, { cause: e });
  }
  if (!model.graph || int64ToNumber(model.irVersion) <= 0 || model.opsetImport.length === 0) {
    throw new RetortError('NOT_ONNX', `${source} is not an ONNX model (no graph, IR version or opset import)`);
  }
  return model;
}

export function encodeModel(model: ModelProto): Uint8Array {
  let total = 0;
  forEachTensor(model, (t) => (total += t.rawData?.byteLength ?? 0));
  if (total >= PROTOBUF_LIMIT) {
    throw new RetortError(
      'MODEL_TOO_LARGE',
      `The model's tensors take ${(total / 2 ** 30).toFixed(2)} GiB; one ONNX file holds under 2 GiB. Save it with external data (saveModel(..., { externalData: true }) or --external-data)`,
    );
  }
  return encodeModelProto(model);
}

/** Read an .onnx file and any external data it points at. */
export function loadModel(path: string): ModelProto {
  if (!existsSync(path)) throw new RetortError('FILE_NOT_FOUND', `No such file: ${path}`);
  const stat = statSync(path);
  if (stat.isDirectory()) throw new RetortError('NOT_ONNX', `${path} is a directory, not an ONNX model`);
  if (stat.size >= PROTOBUF_LIMIT) {
    throw new RetortError('MODEL_TOO_LARGE', `${path} is ${(stat.size / 2 ** 30).toFixed(2)} GiB; an ONNX file must be under 2 GiB, with larger weights in external data`);
  }
  const model = decodeModel(readFileSync(path), path);
  const files = new Map<string, number>();
  try {
    forEachTensor(model, (t) => inlineExternalTensor(dirname(path), t, files));
  } finally {
    closeAll(files);
  }
  validateModel(model, path);
  return model;
}

/** Write a model atomically; with `externalData`, large tensors go to a side file. */
export function saveModel(model: ModelProto, path: string, options: SaveOptions = {}): void {
  if (!options.externalData) {
    writeFileAtomic(path, encodeModel(model));
    return;
  }
  const opts = options.externalData === true ? {} : options.externalData;
  const location = opts.location ?? `${basename(path)}.data`;
  const threshold = opts.threshold ?? 1024;
  const moved: { tensor: TensorProto; rawData: Uint8Array }[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  forEachTensor(model, (tensor) => {
    const raw = tensor.rawData;
    if (!raw || raw.byteLength < threshold) return;
    const padding = (EXTERNAL_ALIGNMENT - (offset % EXTERNAL_ALIGNMENT)) % EXTERNAL_ALIGNMENT;
    if (padding) chunks.push(new Uint8Array(padding));
    offset += padding;
    chunks.push(raw);
    moved.push({ tensor, rawData: raw });
    tensor.externalData = [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(raw.byteLength) },
    ];
    tensor.dataLocation = 1;
    tensor.rawData = new Uint8Array(0);
    offset += raw.byteLength;
  });
  try {
    // The data file first: a model file never points at data that is not there yet.
    writeFileAtomic(join(dirname(path), location), Buffer.concat(chunks));
    writeFileAtomic(path, encodeModel(model));
  } finally {
    for (const { tensor, rawData } of moved) {
      tensor.rawData = rawData;
      tensor.externalData = [];
      tensor.dataLocation = 0;
    }
  }
}
