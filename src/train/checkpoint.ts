/**
 * Training checkpoints: everything a run needs to continue exactly where it stopped. One file:
 *
 *   "RETORTCK" | u32 format version | u32 header length | header JSON (UTF-8) | zero padding to 4 |
 *   tensor data (float32, little-endian, in header order)
 *
 * The header carries the position (step, epoch, batch within the epoch), the seed, a hash of the
 * trainer configuration, free-form trainer state (early stopping, history), each tensor's name,
 * dims and byte range, and a SHA-256 of the data. Written atomically; validated on load.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomicWrite.js';
import { RetortError } from '../util/errors.js';

const MAGIC = 'RETORTCK';
export const CHECKPOINT_VERSION = 1;

export interface CheckpointTensor {
  name: string;
  dims: number[];
  data: Float32Array;
}

export interface TrainingPosition {
  /** Updates completed. */
  step: number;
  /** The epoch in progress (0-based). */
  epoch: number;
  /** The next batch of that epoch to train on. */
  batchInEpoch: number;
}

export interface Checkpoint {
  configHash: string;
  seed: number;
  position: TrainingPosition;
  /** Parameters and state, by their training-graph names. */
  tensors: CheckpointTensor[];
  /** JSON-serializable trainer state (early stopping, per-epoch history). */
  trainerState: unknown;
}

interface Header {
  format: 'retort-checkpoint';
  configHash: string;
  seed: number;
  position: TrainingPosition;
  trainerState: unknown;
  tensors: { name: string; dims: number[]; offset: number; byteLength: number }[];
  dataBytes: number;
  dataSha256: string;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  let offset = 0;
  const tensors = checkpoint.tensors.map((t) => {
    const entry = { name: t.name, dims: [...t.dims], offset, byteLength: t.data.byteLength };
    offset += t.data.byteLength;
    return entry;
  });
  const data = new Uint8Array(offset);
  checkpoint.tensors.forEach((t, i) => data.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), tensors[i]!.offset));
  const header: Header = {
    format: 'retort-checkpoint',
    configHash: checkpoint.configHash,
    seed: checkpoint.seed,
    position: checkpoint.position,
    trainerState: checkpoint.trainerState,
    tensors,
    dataBytes: data.byteLength,
    dataSha256: sha256(data),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const preamble = 8 + 4 + 4 + json.byteLength;
  const padding = (4 - (preamble % 4)) % 4;
  const out = new Uint8Array(preamble + padding + data.byteLength);
  const view = new DataView(out.buffer);
  out.set(Buffer.from(MAGIC, 'ascii'), 0);
  view.setUint32(8, CHECKPOINT_VERSION, true);
  view.setUint32(12, json.byteLength, true);
  out.set(json, 16);
  out.set(data, preamble + padding);
  return out;
}

export function decodeCheckpoint(bytes: Uint8Array, source = '<bytes>'): Checkpoint {
  const invalid = (why: string): RetortError => new RetortError('CHECKPOINT_INVALID', `${source} is not a valid retort checkpoint: ${why}`);
  if (bytes.byteLength < 16 || Buffer.from(bytes.subarray(0, 8)).toString('ascii') !== MAGIC) throw invalid(`it does not start with "${MAGIC}"`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== CHECKPOINT_VERSION) throw invalid(`format version ${version}, expected ${CHECKPOINT_VERSION}`);
  const headerLength = view.getUint32(12, true);
  if (16 + headerLength > bytes.byteLength) throw invalid(`its header (${headerLength} bytes) runs past the end of the file (truncated?)`);
  let header: Header;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(16, 16 + headerLength)).toString('utf8')) as Header;
  } catch (e) {
    throw invalid(`its header is not JSON (${(e as Error).message})`);
  }
  if (header.format !== 'retort-checkpoint' || !Array.isArray(header.tensors) || typeof header.position?.step !== 'number') {
    throw invalid('its header lacks the format, position or tensor list');
  }
  const start = 16 + headerLength + ((4 - ((16 + headerLength) % 4)) % 4);
  const data = bytes.subarray(start);
  if (data.byteLength !== header.dataBytes) throw invalid(`it holds ${data.byteLength} bytes of tensor data, its header says ${header.dataBytes} (truncated?)`);
  if (sha256(data) !== header.dataSha256) throw invalid('its tensor data does not match the recorded SHA-256 (corrupted)');
  const tensors = header.tensors.map((t) => {
    const count = t.dims.reduce((a, b) => a * b, 1);
    if (t.byteLength !== count * 4 || t.offset < 0 || t.offset + t.byteLength > data.byteLength) {
      throw invalid(`tensor "${t.name}" [${t.dims.join(',')}] has byte range ${t.offset}+${t.byteLength}, which does not fit`);
    }
    // A copy: aligned, and independent of the file buffer.
    const values = new Float32Array(count);
    new Uint8Array(values.buffer).set(data.subarray(t.offset, t.offset + t.byteLength));
    return { name: t.name, dims: t.dims, data: values };
  });
  return { configHash: header.configHash, seed: header.seed, position: header.position, tensors, trainerState: header.trainerState };
}

export function saveCheckpoint(path: string, checkpoint: Checkpoint): void {
  writeFileAtomic(path, encodeCheckpoint(checkpoint));
}

export function loadCheckpoint(path: string): Checkpoint {
  if (!existsSync(path)) throw new RetortError('FILE_NOT_FOUND', `No such checkpoint: ${path}`);
  return decodeCheckpoint(readFileSync(path), path);
}
