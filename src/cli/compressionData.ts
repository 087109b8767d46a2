/**
 * What the compression commands (prune-structured, factorize, compress-deep) share: loading the
 * named data for a model, test accuracy of a model, a plain fine-tuning run and the MAC counter.
 */
import { modelInputDims } from '../data/forModel.js';
import { loadDataSource, type TrainTestData } from '../data/sources.js';
import { encodeModel } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { macsAtBatchOne, testEvaluation } from '../eval/modelSummary.js';
import { trainToEnd } from '../train/openTrainer.js';
import type { TrainerConfig } from '../train/trainer.js';

export interface FineTuneFlags {
  epochs: number;
  lr: number;
  batchSize: number;
  seed: number;
  threads: number;
  silent: boolean;
}

export const loadDataFor = (name: string, model: ModelProto): TrainTestData => loadDataSource(name, { inputDims: modelInputDims(model) });

export async function testAccuracy(model: ModelProto, data: TrainTestData, threads: number): Promise<number> {
  return (await testEvaluation(encodeModel(model), data.test, { threads })).accuracy;
}

export function fineTuneConfig(flags: FineTuneFlags): TrainerConfig {
  return {
    batchSize: flags.batchSize, epochs: flags.epochs, seed: flags.seed, threads: flags.threads, progress: flags.silent ? 'silent' : 'auto',
    optimizer: { kind: 'sgd', momentum: 0.9 }, schedule: { kind: 'constant', lr: flags.lr },
  };
}

export async function fineTune(model: ModelProto, data: TrainTestData, flags: FineTuneFlags): Promise<ModelProto> {
  return (await trainToEnd(model, fineTuneConfig(flags), { train: data.train })).model;
}

/** MACs at batch 1 (symbolic dims = 1). */
export const countMacs = macsAtBatchOne;

export const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
