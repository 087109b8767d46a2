/**
 * One-shot pruning: one prune, then optional masked fine-tuning. Criteria read from training
 * (movement) train first, accumulating their statistic, and prune the trained model. Wanda prunes
 * layer group by layer group with sequential calibration unless told otherwise (sequential.ts).
 */
import type { ModelProto } from '../../onnx/proto.js';
import { openPlainTrainer } from '../../train/openTrainer.js';
import type { TrainResult } from '../../train/trainer.js';
import { RetortError } from '../../util/errors.js';
import { withParameterValues } from '../../train/export.js';
import { needsTraining, resolveImportance, trainingStatistics, wandaCalibrationOf, type ImportanceSource } from '../evidence.js';
import { findPrunableLayers } from '../layers.js';
import { retrainWithMasks, type MaskedTraining } from '../maskedTraining.js';
import type { MaskSelection, SelectedMasks } from '../masks.js';
import { prune } from '../prune.js';
import { sequentialWandaPrune } from '../sequential.js';

/** Whether Wanda measures layer by layer (asked for with a global threshold, sequentialWandaPrune says why it cannot). */
function sequentialCalibration(source: ImportanceSource, selection: MaskSelection): source is Extract<ImportanceSource, { method: 'wanda' }> {
  const global = selection.pattern === 'unstructured' && 'scope' in selection && selection.scope === 'global';
  return source.method === 'wanda' && wandaCalibrationOf(source.calibration, { oneShot: true, global }) === 'sequential';
}

export interface OneShotPruning {
  importance: ImportanceSource;
  selection: MaskSelection;
  /**
   * Masked fine-tuning after the prune (for movement: the training that scores, before it). One
   * training run, so it resumes from `fineTune.resumeFrom` (a checkpoint its config wrote).
   */
  fineTune?: MaskedTraining;
}

export async function oneShotPrune(model: ModelProto, run: OneShotPruning): Promise<SelectedMasks & { model: ModelProto; training?: TrainResult }> {
  const layers = findPrunableLayers(model);
  if (needsTraining(run.importance)) {
    if (!run.fineTune) throw new RetortError('BAD_ARGUMENT', `Importance "${run.importance.method}" is accumulated during training: give fine-tuning epochs`);
    const { config, data, open = openPlainTrainer, resumeFrom } = run.fineTune;
    const { trainer, close } = await open(model, { ...config, parameterStatistics: trainingStatistics(run.importance, layers) }, data, resumeFrom);
    try {
      const training = await trainer.fit();
      const trained = withParameterValues(model, trainer.currentValues());
      const importance = await resolveImportance(run.importance, { model: trained, layers, trainer });
      const pruned = prune(trained, { importance, selection: run.selection });
      return { ...pruned, training };
    } finally {
      await close();
    }
  }
  const pruned = sequentialCalibration(run.importance, run.selection)
    ? await sequentialWandaPrune(model, run.importance.calibrationSet, run.selection, run.importance)
    : prune(model, { importance: await resolveImportance(run.importance, { model, layers }), selection: run.selection });
  if (!run.fineTune) return pruned;
  const training = await retrainWithMasks(pruned.model, pruned.masks, run.fineTune.config, run.fineTune.data, run.fineTune);
  return { masks: pruned.masks, skipped: pruned.skipped, model: training.model, training };
}
