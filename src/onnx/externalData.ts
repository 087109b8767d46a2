/**
 * ONNX external data: large tensors kept in a side file next to the model, addressed by
 * `location` (relative to the model's folder), `offset` and `length` entries.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { RetortError } from '../util/errors.js';
import type { StringStringEntryProto, TensorProto } from './proto.js';
import { isExternal, tensorByteLength } from './tensor.js';

function entry(list: StringStringEntryProto[], key: string): string | undefined {
  return list.find((e) => e.key === key)?.value;
}

/** Resolve `location` safely inside the model's folder (ORT refuses escapes too). */
function resolveLocation(modelDir: string, tensor: TensorProto): string {
  const location = entry(tensor.externalData, 'location');
  if (!location) throw new RetortError('CORRUPT_MODEL', `Tensor "${tensor.name}" is marked external but has no location`);
  const normal = normalize(location);
  if (isAbsolute(normal) || normal.startsWith(`..${sep}`) || normal === '..') {
    throw new RetortError('CORRUPT_MODEL', `Tensor "${tensor.name}" points outside the model's folder: "${location}"`);
  }
  return join(modelDir, normal);
}

/** Read an external tensor's bytes into raw_data and mark it as stored inline. */
export function inlineExternalTensor(modelDir: string, tensor: TensorProto, cache: Map<string, number>): void {
  if (!isExternal(tensor)) return;
  const file = resolveLocation(modelDir, tensor);
  if (!existsSync(file)) {
    throw new RetortError('EXTERNAL_DATA_MISSING', `Tensor "${tensor.name}" keeps its data in "${file}", which does not exist`);
  }
  const offset = Number(entry(tensor.externalData, 'offset') ?? 0);
  const length = Number(entry(tensor.externalData, 'length') ?? tensorByteLength(tensor));
  const size = statSync(file).size;
  if (offset + length > size) {
    throw new RetortError(
      'EXTERNAL_DATA_MISSING',
      `Tensor "${tensor.name}" needs bytes ${offset}..${offset + length} of "${file}", which holds only ${size}`,
    );
  }
  let fd = cache.get(file);
  if (fd === undefined) {
    fd = openSync(file, 'r');
    cache.set(file, fd);
  }
  const bytes = new Uint8Array(length);
  readSync(fd, bytes, 0, length, offset);
  tensor.rawData = bytes;
  tensor.externalData = [];
  tensor.dataLocation = 0;
}

export function closeAll(cache: Map<string, number>): void {
  for (const fd of cache.values()) closeSync(fd);
}

/** Alignment ORT uses for memory-mapped external data. */
export const EXTERNAL_ALIGNMENT = 4096;
