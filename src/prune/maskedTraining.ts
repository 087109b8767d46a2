/**
 * Masked retraining: the Trainer with pruning masks in the training graph (a `Mul` of each weight by
 * its mask input, and the update masked too), so pruned weights stay exactly zero; the exported model
 * holds W ⊙ M. Han et al. 2015 retrain this way after each prune. The trainer comes from an
 * `OpenTrainer` (plain by default), so a layer above can retrain on a distillation objective.
 */
import type { ModelProto } from '../onnx/proto.js';
import { openPlainTrainer, type OpenedTrainer, type OpenTrainer } from '../train/openTrainer.js';
import type { Trainer, TrainData, TrainerConfig, TrainResult } from '../train/trainer.js';
import { applyMasks } from './applyMasks.js';
import { withParameterValues } from '../train/export.js';

/** How a schedule trains: the Trainer settings, the data, and optionally the opener and a checkpoint to resume. */
export interface MaskedTraining {
  config: TrainerConfig;
  data: TrainData;
  /** Default: a plain Trainer on the config's loss. */
  open?: OpenTrainer;
  /** A checkpoint file of an interrupted run of this same training (see each schedule for which runs resume). */
  resumeFrom?: string;
}

/** A plain Trainer with the masks in its training graph, the masks folded into its starting weights. */
export async function createMaskedTrainer(model: ModelProto, masks: ReadonlyMap<string, Float32Array>, config: TrainerConfig, data: TrainData): Promise<Trainer> {
  return (await openMaskedTrainer(model, masks, { config, data })).trainer;
}

export async function openMaskedTrainer(model: ModelProto, masks: ReadonlyMap<string, Float32Array>, training: MaskedTraining): Promise<OpenedTrainer> {
  return (training.open ?? openPlainTrainer)(applyMasks(model, masks), { ...training.config, masks }, training.data, training.resumeFrom);
}

export interface MaskedTrainResult extends TrainResult {
  /** The input model's graph (dropout kept) with the trained values: what further training starts from. */
  trainedModel: ModelProto;
}

export async function retrainWithMasks(model: ModelProto, masks: ReadonlyMap<string, Float32Array>, config: TrainerConfig, data: TrainData, options: Pick<MaskedTraining, 'open' | 'resumeFrom'> = {}): Promise<MaskedTrainResult> {
  const { trainer, close } = await openMaskedTrainer(model, masks, { config, data, ...options });
  try {
    const result = await trainer.fit();
    return { ...result, trainedModel: withParameterValues(model, trainer.currentValues()) };
  } finally {
    await close();
  }
}
