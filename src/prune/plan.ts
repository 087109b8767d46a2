/**
 * A whole unstructured/N:M pruning job as data: the importance criterion, the target (a sparsity, or
 * Han et al.'s quality threshold), the pattern, the schedule and the training it prunes around.
 * `pruningPlanProblems` lists every inconsistency at once (each with the field at fault, so the CLI
 * can name its flag and a recipe its path); `runPruning` runs the schedule. `retort prune` and the
 * recipe's `prune` stage both go through here.
 */
import { batchCount } from '../data/batches.js';
import { selectSamples, type Dataset } from '../data/dataset.js';
import type { ModelProto } from '../onnx/proto.js';
import { RetortError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { wandaCalibrationOf, type ImportanceSource, type WandaCalibration } from './evidence.js';
import type { ImportanceMethod, PruningScope } from './importance/index.js';
import type { MaskedTraining } from './maskedTraining.js';
import type { Masks, MaskSelection, SelectedMasks } from './masks.js';
import { gradualPrune } from './schedules/agp.js';
import { iterativePrune } from './schedules/iterative.js';
import { lotteryTicket } from './schedules/lottery.js';
import { oneShotPrune } from './schedules/oneshot.js';

export type PruningSchedule =
  /** Prune once, then fine-tune (if any). */
  | { kind: 'oneshot' }
  /** Han et al. 2015: `rounds` prune-and-retrain rounds. */
  | { kind: 'iterative'; rounds: number }
  /** Zhu & Gupta 2017: the cubic ramp over the first 3/4 of training, masks recomputed `updates` times. */
  | { kind: 'agp'; updates: number }
  /** Frankle & Carbin 2019: train, prune, rewind, retrain; `rounds` equal-rate rounds, or 20% of what remains per round. */
  | { kind: 'lottery'; rounds?: number };
export type PruningScheduleKind = PruningSchedule['kind'];
export const PRUNING_SCHEDULES: readonly PruningScheduleKind[] = ['oneshot', 'iterative', 'agp', 'lottery'];

export type PruningPattern = { kind: 'unstructured' } | { kind: 'n:m'; n: number; m: number };

/**
 * A fraction of the prunable weights, or Han et al.'s quality parameter (prune |w| < q σ_layer; han
 * only). `perLayer` gives named layers (weight or node name) their own sparsity, as Han et al.
 * 2015/2016 prune each layer of LeNet-5 differently (conv1 keeps 66%, conv2 12%, fc1 8%, fc2 19%).
 */
export type PruningTarget = { sparsity: number; perLayer?: Readonly<Record<string, number>> } | { quality: number };

export interface PruningPlan {
  importance: ImportanceMethod;
  scope: PruningScope;
  target: PruningTarget;
  pattern: PruningPattern;
  schedule: PruningSchedule;
  /** Masked training after the prune (oneshot), after each round (iterative, lottery) or throughout (agp); none: prune only. */
  training?: MaskedTraining;
  /** Seed of the random importance. */
  seed: number;
  /** Wanda's calibration images (see `calibrationSample`). */
  calibrationSet?: Dataset;
  /** Wanda: layer by layer on the partly pruned model, or all layers on the dense one (see `WandaCalibration`). */
  calibration?: WandaCalibration;
  threads?: number;
}

/** What is inconsistent in a plan: the field at fault and why, worded without flag or recipe names. */
export interface PlanProblem {
  field: 'importance' | 'target' | 'perLayer' | 'pattern' | 'schedule' | 'training' | 'calibration';
  message: string;
}

/** Every inconsistency of the plan (empty when it can run). */
export function pruningPlanProblems(plan: Pick<PruningPlan, 'importance' | 'target' | 'pattern' | 'schedule' | 'calibration'> & { scope?: PruningScope; trains: boolean; hasCalibrationSet: boolean }): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const { importance, target, pattern, schedule } = plan;
  const add = (field: PlanProblem['field'], message: string) => problems.push({ field, message });
  if ('sparsity' in target && !(target.sparsity >= 0 && target.sparsity < 1)) add('target', `sparsity ${target.sparsity}: expected a fraction in [0, 1)`);
  if ('sparsity' in target && target.perLayer !== undefined && Object.keys(target.perLayer).length > 0) {
    for (const [layer, x] of Object.entries(target.perLayer)) if (!(x >= 0 && x < 1)) add('perLayer', `sparsity ${x} of layer ${layer}: expected a fraction in [0, 1)`);
    if (schedule.kind !== 'oneshot') add('perLayer', `per-layer sparsities run with the oneshot schedule (then fine-tune), not ${schedule.kind}`);
    if (pattern.kind !== 'unstructured') add('perLayer', 'per-layer sparsities apply to unstructured pruning; an N:M pattern fixes every layer\'s');
    if (plan.scope === 'global') add('perLayer', 'per-layer sparsities prune each layer to its own target: use the layer or row scope, not global');
  }
  if ('quality' in target && importance !== 'han') add('target', `a quality threshold applies to the han importance (|w| / std of its layer), not ${importance}`);
  if ('quality' in target && schedule.kind !== 'oneshot') add('target', `a quality threshold runs with the oneshot schedule; ${schedule.kind} takes a sparsity`);
  if (pattern.kind === 'n:m') {
    const { n, m } = pattern;
    if (!(Number.isInteger(n) && Number.isInteger(m) && n > 0 && n < m)) add('pattern', `${n}:${m}: expected whole numbers 0 < N < M`);
    else if ('sparsity' in target && target.sparsity !== 1 - n / m) add('pattern', `${n}:${m} prunes exactly ${+(100 * (1 - n / m)).toFixed(2)}% of each layer; sparsity ${target.sparsity} contradicts it`);
    if (schedule.kind !== 'oneshot') add('pattern', `${n}:${m} runs with the oneshot schedule (then fine-tune), not ${schedule.kind}`);
    if ('quality' in target) add('pattern', `${n}:${m} takes no quality threshold`);
  }
  if (schedule.kind === 'lottery' && importance !== 'magnitude') add('schedule', 'lottery prunes by magnitude (Frankle & Carbin 2019): use the magnitude importance');
  if ((schedule.kind === 'agp' || schedule.kind === 'lottery') && !plan.trains) add('training', `the ${schedule.kind} schedule prunes while training: give fine-tuning epochs > 0`);
  if (importance === 'movement' && !plan.trains) add('training', 'movement importance accumulates during training (Sanh et al. 2020): give fine-tuning epochs > 0');
  if (importance === 'movement' && schedule.kind === 'iterative') add('importance', `movement importance is read from training: use the oneshot or agp schedule, not ${schedule.kind}`);
  if (importance === 'wanda' && !plan.hasCalibrationSet) add('importance', 'wanda measures activations on calibration images: give data');
  if (plan.calibration !== undefined && importance !== 'wanda') add('calibration', `the calibration order is Wanda's; ${importance} measures no activations`);
  if (plan.calibration === 'sequential' && schedule.kind !== 'oneshot') add('calibration', `sequential calibration prunes once, layer by layer: use the oneshot schedule, not ${schedule.kind}`);
  if (plan.calibration === 'sequential' && plan.scope === 'global') add('calibration', 'sequential calibration prunes layer by layer; a global threshold compares all layers at once: use the layer or row scope');
  if (schedule.kind === 'iterative' && !(Number.isInteger(schedule.rounds) && schedule.rounds > 0)) add('schedule', `iterative rounds ${schedule.rounds}: expected a positive whole number`);
  if (schedule.kind === 'agp' && !(Number.isInteger(schedule.updates) && schedule.updates > 0)) add('schedule', `agp mask updates ${schedule.updates}: expected a positive whole number`);
  if (schedule.kind === 'lottery' && schedule.rounds !== undefined && !(Number.isInteger(schedule.rounds) && schedule.rounds > 0)) add('schedule', `lottery rounds ${schedule.rounds}: expected a positive whole number`);
  return problems;
}

/** `size` training samples picked by a seeded shuffle (Wanda's activations, Taylor's gradients). */
export function calibrationSample(train: Dataset, size: number, seed: number): Dataset {
  return selectSamples(train, new Rng(seed).permutation(train.length).subarray(0, Math.min(size, train.length)), `${train.name} calibration`);
}

export function importanceSource(plan: Pick<PruningPlan, 'importance' | 'seed' | 'calibrationSet' | 'calibration' | 'threads'>): ImportanceSource {
  switch (plan.importance) {
    case 'wanda':
      if (!plan.calibrationSet) throw new RetortError('BAD_ARGUMENT', 'Wanda importance needs a calibration set');
      return { method: 'wanda', calibrationSet: plan.calibrationSet, calibration: plan.calibration, threads: plan.threads };
    case 'random':
      return { method: 'random', seed: plan.seed };
    default:
      return { method: plan.importance };
  }
}

/** The calibration order a Wanda plan runs with (undefined for other criteria), for reports. */
export function planWandaCalibration(plan: Pick<PruningPlan, 'importance' | 'calibration' | 'schedule' | 'scope'>): WandaCalibration | undefined {
  return plan.importance === 'wanda' ? wandaCalibrationOf(plan.calibration, { oneShot: plan.schedule.kind === 'oneshot', global: plan.scope === 'global' }) : undefined;
}

export interface PlannedPruning extends SelectedMasks {
  model: ModelProto;
}

/** Runs the plan's schedule; throws BAD_ARGUMENT listing every problem of an inconsistent plan. */
export async function runPruning(model: ModelProto, plan: PruningPlan): Promise<PlannedPruning> {
  const problems = pruningPlanProblems({ ...plan, trains: plan.training !== undefined, hasCalibrationSet: plan.calibrationSet !== undefined });
  if (problems.length > 0) throw new RetortError('BAD_ARGUMENT', `Pruning plan: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
  const importance = importanceSource(plan);
  const { schedule, scope, training, target } = plan;
  const sparsity = 'sparsity' in target ? target.sparsity : 0;
  const noMasks = (masks: Masks, result: ModelProto): PlannedPruning => ({ model: result, masks, skipped: [] });
  switch (schedule.kind) {
    case 'oneshot': {
      const selection: MaskSelection =
        plan.pattern.kind === 'n:m'
          ? { pattern: 'n:m', n: plan.pattern.n, m: plan.pattern.m }
          : 'quality' in target
            ? { pattern: 'unstructured', threshold: target.quality }
            : { pattern: 'unstructured', sparsity, scope, ...(target.perLayer ? { perLayer: target.perLayer } : {}) };
      const result = await oneShotPrune(model, { importance, selection, fineTune: training });
      return { model: result.model, masks: result.masks, skipped: result.skipped };
    }
    case 'iterative': {
      const result = await iterativePrune(model, { importance, scope, sparsity, rounds: schedule.rounds, retrain: training });
      return noMasks(result.masks, result.model);
    }
    case 'agp': {
      const { config, data } = training!;
      // Over the epochs, whatever budget (maxSteps) stops the run: a run stopped early keeps the schedule it resumes with.
      const totalSteps = config.epochs * batchCount(data.train.length, config.batchSize, true);
      // Prune over the first three quarters of training, then train on with the final masks.
      const frequency = Math.max(1, Math.floor((0.75 * totalSteps) / schedule.updates));
      const result = await gradualPrune(model, { ...training!, importance, scope, schedule: { initialSparsity: 0, finalSparsity: sparsity, startStep: 0, frequency, pruningSteps: schedule.updates } });
      return noMasks(result.masks, result.model);
    }
    case 'lottery': {
      // Reach the target in `rounds` equal-rate rounds; by default 20% of the remaining weights per round.
      const ratePerRound = schedule.rounds === undefined ? 0.2 : 1 - (1 - sparsity) ** (1 / schedule.rounds);
      const tickets = await lotteryTicket(model, { config: training!.config, data: training!.data, open: training!.open, targets: [sparsity], ratePerRound, scope: scope === 'global' ? 'global' : 'layer' });
      const last = tickets.at(-1)!;
      return noMasks(last.masks, last.result.model);
    }
  }
}
