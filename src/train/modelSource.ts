/**
 * The model a training run starts from: an architecture built with the run's seed, or an ONNX file
 * (imported or written by an earlier run), and how the run records it, so a resumed run can check
 * it continues the same model.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildArchitecture, formatArchitecture, type Architecture } from '../models/spec.js';
import { loadModel } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';

/** Where the trained model came from, as recorded in metrics.json. */
export type ModelSource = { source: 'arch'; arch: string } | { source: 'file'; path: string; sha256: string };

/** An architecture to build, or a file (with its model when the caller has loaded it already). */
export type ModelOrigin = { arch: Architecture } | { path: string; model?: ModelProto };

export const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A built architecture (initialized with `seed`) or the ONNX model of the file, and how to name it. */
export function modelToTrain(origin: ModelOrigin, seed: number): { model: ModelProto; source: ModelSource } {
  if ('arch' in origin) return { model: buildArchitecture(origin.arch, { seed }), source: { source: 'arch', arch: formatArchitecture(origin.arch) } };
  const path = resolve(origin.path);
  return { model: origin.model ?? loadModel(path), source: { source: 'file', path, sha256: sha256(path) } };
}
