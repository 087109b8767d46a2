/**
 * Stage kinds for the runner's tests only: a source that builds a seeded MLP and a copier that reads
 * a model (and can be told to fail). They do no real work, so runner tests stay fast; each run is
 * recorded in `ran`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { buildArchitecture } from '../../../src/models/spec.js';
import { saveModel } from '../../../src/onnx/model.js';
import type { StageKind } from '../../../src/recipe/pipeline/stageKind.js';
import { Registry } from '../../../src/util/registry.js';
import { compareStage } from '../../../src/recipe/stages/compare.js';
import { evalStage } from '../../../src/recipe/stages/eval.js';

/** Names of the stages run in this process, in order. */
export const ran: string[] = [];

export const sourceStage: StageKind<{ hidden: number }> = {
  key: 'test-source',
  summary: 'test: a seeded MLP',
  inputs: [],
  outputs: ['model'],
  kwargs: z.strictObject({ hidden: z.number().int().positive().default(8).describe('hidden units') }),
  async run(ctx, kwargs) {
    ran.push(ctx.dir);
    const model = join(ctx.dir, 'model.onnx');
    saveModel(buildArchitecture(`mlp:${kwargs.hidden}`, { seed: ctx.seed }), model);
    return { artifacts: { model }, metrics: { hidden: kwargs.hidden } };
  },
};

export const copyStage: StageKind<{ note: string; fail: boolean }> = {
  key: 'test-copy',
  summary: 'test: writes the model it reads',
  inputs: [{ name: 'model', kind: 'model', required: true, description: 'the model to copy' }],
  outputs: ['model'],
  kwargs: z.strictObject({ note: z.string().default(''), fail: z.boolean().default(false) }),
  async run(ctx, kwargs) {
    ran.push(ctx.dir);
    if (kwargs.fail) throw new Error('asked to fail');
    const model = join(ctx.dir, 'model.onnx');
    saveModel(ctx.models.model!.model, model);
    return { artifacts: { model }, metrics: { note: kwargs.note, checkpointFound: existsSync(ctx.checkpoint) } };
  },
};

/** The real eval and compare kinds plus the test kinds, in a registry of their own. */
export function testKinds(): Registry<StageKind> {
  const registry = new Registry<StageKind>('stage kind');
  for (const kind of [sourceStage, copyStage, evalStage, compareStage] as StageKind[]) registry.register(kind.key, kind);
  return registry;
}
