/** A StageContext for calling a stage kind's `run` directly, as the runner would, on a slice of MNIST. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadModel } from '../../../src/onnx/model.js';
import { dataInput, type DataKwargs } from '../../../src/recipe/pipeline/data.js';
import type { ModelInput, StageContext } from '../../../src/recipe/pipeline/stageKind.js';

export const tempDir = (prefix: string): string => mkdtempSync(path.join(os.tmpdir(), prefix));

export const modelInput = (file: string): ModelInput => ({ path: file, model: loadModel(file) });

export interface TestContext extends StageContext {
  lines: string[];
}

/** The first `limitTrain` MNIST training images (no validation split) and the first `limitTest` test images. */
export function stageContext(options: { dir?: string; seed?: number; models?: Record<string, ModelInput>; modelLists?: Record<string, ModelInput[]>; data?: Partial<DataKwargs> } = {}): TestContext {
  const dir = options.dir ?? tempDir('retort-stage-');
  const lines: string[] = [];
  const data = dataInput('mnist', { key: 'mnist', kwargs: { limitTrain: 1000, validation: 0, limitTest: 1000, ...options.data } });
  return {
    dir,
    seed: options.seed ?? 0,
    threads: 1,
    progress: false,
    log: (line) => lines.push(line),
    lines,
    models: options.models ?? {},
    ...(options.modelLists ? { modelLists: options.modelLists } : {}),
    data: { data },
    checkpoint: path.join(dir, 'checkpoint.ckpt'),
  };
}
