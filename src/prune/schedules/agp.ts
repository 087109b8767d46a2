/**
 * Gradual pruning (Zhu & Gupta 2017, "To prune, or not to prune"): during training, the masks are
 * recomputed every Δt steps from step t0, at sparsity
 *   s_t = s_f + (s_i - s_f) (1 - (t - t0) / (n Δt))^3,   t ∈ {t0, t0 + Δt, ..., t0 + n Δt},
 * pruning fast early and slowly as the target nears. Weights pruned once stay pruned.
 */
import { batchCount } from '../../data/batches.js';
import type { ModelProto } from '../../onnx/proto.js';
import type { TrainerConfig, TrainResult } from '../../train/trainer.js';
import { RetortError } from '../../util/errors.js';
import { resolveImportance, trainingStatistics, type ImportanceSource } from '../evidence.js';
import { scoreLayers, type PruningScope } from '../importance/index.js';
import { findPrunableLayers, readLayerWeights, type PrunableLayer } from '../layers.js';
import { loadCheckpointMasks, saveCheckpointWithMasks } from '../maskCheckpoint.js';
import { openMaskedTrainer, type MaskedTraining } from '../maskedTraining.js';
import { selectMasks, type Masks } from '../masks.js';
import { denseMasks } from '../prune.js';

export interface AgpSchedule {
  initialSparsity: number;
  finalSparsity: number;
  /** t0: the step of the first prune. */
  startStep: number;
  /** Δt: steps between prunes. */
  frequency: number;
  /** n: prunes after the first (the last at t0 + n Δt). */
  pruningSteps: number;
}

/** The AGP target at step t: 0 before t0, s_f after t0 + n Δt. */
export function agpSparsity(step: number, s: AgpSchedule): number {
  if (step < s.startStep) return 0;
  const progress = Math.min(1, (step - s.startStep) / (s.pruningSteps * s.frequency));
  return s.finalSparsity + (s.initialSparsity - s.finalSparsity) * (1 - progress) ** 3;
}

/** The steps at which masks are recomputed. */
export function agpPruningSteps(s: AgpSchedule): number[] {
  return Array.from({ length: s.pruningSteps + 1 }, (_, k) => s.startStep + k * s.frequency);
}

export interface GradualPruning extends MaskedTraining {
  importance: ImportanceSource;
  scope: PruningScope;
  schedule: AgpSchedule;
  /**
   * The prunable layers, where the trained model reads its weights through other ops and they are
   * found in the model it came from (QAT's fake quantization wraps every weight): default, the model's own.
   */
  layers?: readonly PrunableLayer[];
  /** Called after each mask update (step, target sparsity). */
  onPrune?: (step: number, sparsity: number) => void;
}

export interface GradualPruneResult {
  model: ModelProto;
  masks: Masks;
  result: TrainResult;
  /** The trainer's final values (masks folded in), by parameter name: what an export other than `model` starts from. */
  values: Map<string, Float32Array>;
}

/**
 * Trains while pruning on the AGP schedule. With `config.checkpoint`, the checkpoint holds the masks
 * too (maskCheckpoint.ts) and is written every `everySteps` steps, after each mask update and at the
 * end; `resumeFrom` continues such a run exactly where it stopped.
 */
export async function gradualPrune(model: ModelProto, run: GradualPruning): Promise<GradualPruneResult> {
  const { schedule } = run;
  if (!(Number.isInteger(schedule.frequency) && schedule.frequency > 0 && Number.isInteger(schedule.pruningSteps) && schedule.pruningSteps > 0 && schedule.startStep >= 0)) {
    throw new RetortError('BAD_ARGUMENT', `AGP schedule needs whole numbers startStep >= 0, frequency > 0, pruningSteps > 0; got ${JSON.stringify(schedule)}`);
  }
  const layers = run.layers ?? findPrunableLayers(model);
  const { checkpoint, ...config } = run.config;
  // The masks change as training runs, so this schedule writes the checkpoints itself (with the masks).
  const trainerConfig: TrainerConfig = { ...config, parameterStatistics: [...(config.parameterStatistics ?? []), ...trainingStatistics(run.importance, layers)] };
  let masks = denseMasks(layers);
  const { trainer, close } = await openMaskedTrainer(model, masks, { ...run, config: trainerConfig });
  try {
    // A checkpoint is written after the prune due at its step, so a resumed run prunes only later.
    let prunedThrough = -1;
    if (run.resumeFrom !== undefined) {
      masks = loadCheckpointMasks(run.resumeFrom, layers);
      trainer.setMasks(masks);
      prunedThrough = trainer.step;
    }
    const pending = agpPruningSteps(schedule).filter((step) => step > prunedThrough);
    const save = () => {
      if (checkpoint) saveCheckpointWithMasks(checkpoint.path, trainer, masks, layers);
    };
    const end = Math.min(config.maxSteps ?? Infinity, config.epochs * batchCount(run.data.train.length, config.batchSize, true));
    let result: TrainResult | undefined;
    for (;;) {
      if (pending[0] === trainer.step) {
        const step = pending.shift()!;
        const current = trainer.exportModel();
        const importance = await resolveImportance(run.importance, { model: current, layers, trainer });
        const sparsity = agpSparsity(step, schedule);
        masks = selectMasks(layers, scoreLayers(layers, readLayerWeights(current, layers), importance), { pattern: 'unstructured', sparsity, scope: run.scope }, masks).masks;
        trainer.setMasks(masks);
        save();
        run.onPrune?.(step, sparsity);
      }
      if (trainer.step >= end) break;
      const from = trainer.step;
      const nextCheckpoint = checkpoint ? (Math.floor(from / checkpoint.everySteps) + 1) * checkpoint.everySteps : Infinity;
      trainer.config.maxSteps = Math.min(end, pending[0] ?? Infinity, nextCheckpoint);
      result = await trainer.fit();
      if (trainer.step === from || result.stoppedEarly) break;
      if (trainer.step === nextCheckpoint && pending[0] !== trainer.step) save();
    }
    // Trains nothing more (the loop reached the end); returns the model with the last masks folded in.
    trainer.config.maxSteps = config.maxSteps;
    const final = await trainer.fit();
    save();
    return { model: final.model, masks, result: { ...final, lastLoss: result?.lastLoss ?? final.lastLoss }, values: trainer.currentValues() };
  } finally {
    await close();
  }
}
