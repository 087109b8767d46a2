/**
 * Masked retraining: the Trainer with pruning masks in the training graph (a `Mul` of each weight by
 * its mask input, and the update masked too), so pruned weights stay exactly zero; the exported model
 * holds W ⊙ M. Han et al. 2015 retrain this way after each prune.
 */
import type { ModelProto } from '../onnx/proto.js';
import { Trainer, type TrainData, type TrainerConfig, type TrainResult } from '../train/trainer.js';
import { applyMasks } from './applyMasks.js';
import { withParameterValues } from '../train/export.js';

export async function createMaskedTrainer(model: ModelProto, masks: ReadonlyMap<string, Float32Array>, config: TrainerConfig, data: TrainData): Promise<Trainer> {
  return Trainer.create(applyMasks(model, masks), { ...config, masks }, data);
}

export interface MaskedTrainResult extends TrainResult {
  /** The input model's graph (dropout kept) with the trained values: what further training starts from. */
  trainedModel: ModelProto;
}

export async function retrainWithMasks(model: ModelProto, masks: ReadonlyMap<string, Float32Array>, config: TrainerConfig, data: TrainData): Promise<MaskedTrainResult> {
  const trainer = await createMaskedTrainer(model, masks, config, data);
  try {
    const result = await trainer.fit();
    return { ...result, trainedModel: withParameterValues(model, trainer.currentValues()) };
  } finally {
    await trainer.dispose();
  }
}
