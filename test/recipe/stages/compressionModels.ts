/** Small models for the compression stage tests, saved where a recipe would name them, and checks on what the stages write. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadDataSource } from '../../../src/data/sources.js';
import { subset } from '../../../src/data/dataset.js';
import { buildArchitecture } from '../../../src/models/spec.js';
import { decodeModel, saveModel } from '../../../src/onnx/model.js';
import type { ModelProto } from '../../../src/onnx/proto.js';
import type { ModelInput } from '../../../src/recipe/pipeline/stageKind.js';
import { Session } from '../../../src/runtime/session.js';
import { floatTensor } from '../../../src/runtime/tensors.js';
import { trainToEnd } from '../../../src/train/openTrainer.js';

/** A built architecture (seeded), saved in `dir`. */
export function builtModel(dir: string, arch: string, seed: number): ModelInput {
  const file = path.join(dir, `${arch.replace(/[^a-z0-9]/gi, '_')}-${seed}.onnx`);
  const model = buildArchitecture(arch, { seed });
  saveModel(model, file);
  return { path: file, model };
}

/** The architecture trained for one epoch on the first 1000 MNIST training images (a teacher that knows something). */
export async function trainedModel(dir: string, arch: string, seed: number): Promise<ModelInput> {
  const built = buildArchitecture(arch, { seed });
  const train = subset(loadDataSource('mnist', { inputDims: [784] }).train, 1000);
  const config = { batchSize: 50, epochs: 1, seed, threads: 1, progress: 'silent' as const, optimizer: { kind: 'sgd' as const, momentum: 0.9 }, schedule: { kind: 'constant' as const, lr: 0.1 } };
  const model = (await trainToEnd(built, config, { train })).model;
  const file = path.join(dir, `trained-${seed}.onnx`);
  saveModel(model, file);
  return { path: file, model };
}

/** Loads the file in a plain ORT session and runs a batch of 3 zero images: [3, classes] logits. */
export async function assertRunsInOrt(file: string, inputDims: readonly number[] = [784]): Promise<ModelProto> {
  const bytes = readFileSync(file);
  const session = await Session.create(bytes, { name: path.basename(file), threads: 1 });
  try {
    const size = inputDims.reduce((a, b) => a * b, 1);
    const out = await session.run({ [session.inputNames[0]!]: floatTensor(new Float32Array(3 * size), [3, ...inputDims]) }, [session.outputNames[0]!]);
    assert.deepEqual(out[session.outputNames[0]!]!.dims, [3, 10]);
  } finally {
    await session.dispose();
  }
  return decodeModel(bytes);
}

export const opTypes = (model: ModelProto): Set<string> => new Set(model.graph!.node.map((n) => n.opType));

export const sameBytes = (a: string, b: string): boolean => Buffer.compare(readFileSync(a), readFileSync(b)) === 0;
