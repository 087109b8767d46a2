/**
 * One-shot pruning: one prune, then optional masked fine-tuning. Criteria read from training
 * (movement) train first, accumulating their statistic, and prune the trained model.
 */
import type { ModelProto } from '../../onnx/proto.js';
import { Trainer, type TrainData, type TrainerConfig, type TrainResult } from '../../train/trainer.js';
import { RetortError } from '../../util/errors.js';
import { withParameterValues } from '../../train/export.js';
import { needsTraining, resolveImportance, trainingStatistics, type ImportanceSource } from '../evidence.js';
import { findPrunableLayers } from '../layers.js';
import { retrainWithMasks } from '../maskedTraining.js';
import type { MaskSelection, SelectedMasks } from '../masks.js';
import { prune } from '../prune.js';

export interface OneShotPruning {
  importance: ImportanceSource;
  selection: MaskSelection;
  /** Masked fine-tuning after the prune (for movement: the training that scores, before it). */
  fineTune?: { config: TrainerConfig; data: TrainData };
}

export async function oneShotPrune(model: ModelProto, run: OneShotPruning): Promise<SelectedMasks & { model: ModelProto; training?: TrainResult }> {
  const layers = findPrunableLayers(model);
  if (needsTraining(run.importance)) {
    if (!run.fineTune) throw new RetortError('BAD_ARGUMENT', `Importance "${run.importance.method}" is accumulated during training: give fine-tuning epochs`);
    const trainer = await Trainer.create(model, { ...run.fineTune.config, parameterStatistics: trainingStatistics(run.importance, layers) }, run.fineTune.data);
    try {
      const training = await trainer.fit();
      const trained = withParameterValues(model, trainer.currentValues());
      const importance = await resolveImportance(run.importance, { model: trained, layers, trainer });
      const pruned = prune(trained, { importance, selection: run.selection });
      return { ...pruned, training };
    } finally {
      await trainer.dispose();
    }
  }
  const importance = await resolveImportance(run.importance, { model, layers });
  const pruned = prune(model, { importance, selection: run.selection });
  if (!run.fineTune) return pruned;
  const training = await retrainWithMasks(pruned.model, pruned.masks, run.fineTune.config, run.fineTune.data);
  return { masks: pruned.masks, skipped: pruned.skipped, model: training.model, training };
}
