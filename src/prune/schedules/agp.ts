/**
 * Gradual pruning (Zhu & Gupta 2017, "To prune, or not to prune"): during training, the masks are
 * recomputed every Δt steps from step t0, at sparsity
 *   s_t = s_f + (s_i - s_f) (1 - (t - t0) / (n Δt))^3,   t ∈ {t0, t0 + Δt, ..., t0 + n Δt},
 * pruning fast early and slowly as the target nears. Weights pruned once stay pruned.
 */
import type { ModelProto } from '../../onnx/proto.js';
import type { TrainData, TrainerConfig, TrainResult } from '../../train/trainer.js';
import { RetortError } from '../../util/errors.js';
import { resolveImportance, trainingStatistics, type ImportanceSource } from '../evidence.js';
import { scoreLayers, type PruningScope } from '../importance/index.js';
import { findPrunableLayers, readLayerWeights } from '../layers.js';
import { createMaskedTrainer } from '../maskedTraining.js';
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

export interface GradualPruning {
  importance: ImportanceSource;
  scope: PruningScope;
  schedule: AgpSchedule;
  config: TrainerConfig;
  data: TrainData;
  /** Called after each mask update (step, target sparsity). */
  onPrune?: (step: number, sparsity: number) => void;
}

export async function gradualPrune(model: ModelProto, run: GradualPruning): Promise<{ model: ModelProto; masks: Masks; result: TrainResult }> {
  const { schedule } = run;
  if (!(Number.isInteger(schedule.frequency) && schedule.frequency > 0 && Number.isInteger(schedule.pruningSteps) && schedule.pruningSteps > 0 && schedule.startStep >= 0)) {
    throw new RetortError('BAD_ARGUMENT', `AGP schedule needs whole numbers startStep >= 0, frequency > 0, pruningSteps > 0; got ${JSON.stringify(schedule)}`);
  }
  const layers = findPrunableLayers(model);
  let masks = denseMasks(layers);
  const finalMaxSteps = run.config.maxSteps;
  const trainer = await createMaskedTrainer(model, masks, { ...run.config, parameterStatistics: trainingStatistics(run.importance, layers) }, run.data);
  try {
    for (const step of agpPruningSteps(schedule)) {
      if (step > trainer.step) {
        trainer.config.maxSteps = Math.min(step, finalMaxSteps ?? Infinity);
        await trainer.fit();
        if (trainer.step < step) break; // the run ended (epochs or budget) before this prune
      }
      const current = trainer.exportModel();
      const importance = await resolveImportance(run.importance, { model: current, layers, trainer });
      const sparsity = agpSparsity(step, schedule);
      masks = selectMasks(layers, scoreLayers(layers, readLayerWeights(current, layers), importance), { pattern: 'unstructured', sparsity, scope: run.scope }, masks).masks;
      trainer.setMasks(masks);
      run.onPrune?.(step, sparsity);
    }
    trainer.config.maxSteps = finalMaxSteps;
    const result = await trainer.fit();
    return { model: result.model, masks, result };
  } finally {
    await trainer.dispose();
  }
}
