/**
 * The stage kinds a recipe can name in `key`, one registration line each. The runner and
 * `retort run --list-stages` read this registry; kinds are added here explicitly (no side-effect
 * imports), so the set a recipe may use is the list below.
 */
import { Registry } from '../../util/registry.js';
import type { StageKind } from '../pipeline/stageKind.js';
import { compareStage } from './compare.js';
import { evalStage } from './eval.js';
import { trainStage } from './train.js';
import { distillStage } from './distill.js';
import { pruneStage } from './prune.js';
import { factorizeStage } from './factorize.js';
import { quantizeStage } from './quantize.js';
import { qatStage } from './qat.js';
import { jointStage } from './joint.js';
import { deepCompressStage } from './deepCompress.js';

export const stageKinds = new Registry<StageKind>('stage kind');

/** Adds a kind under its `key`; registering a key twice throws. */
export function registerStageKind<K>(kind: StageKind<K>): void {
  stageKinds.register(kind.key, kind as StageKind);
}

registerStageKind(evalStage);
registerStageKind(compareStage);
registerStageKind(trainStage);
registerStageKind(distillStage);
registerStageKind(pruneStage);
registerStageKind(factorizeStage);
registerStageKind(quantizeStage);
registerStageKind(qatStage);
registerStageKind(jointStage);
registerStageKind(deepCompressStage);
