/**
 * Settings of a training run that follow from the run itself, shared by every command and recipe
 * stage that trains so that the same words mean the same run: the learning-rate schedule stretched
 * over the whole run (all its epochs, whatever budget stops it earlier, so an interrupted run and a
 * whole one agree), and the default learning rate and momentum of each optimizer.
 */
import { RetortError } from '../util/errors.js';
import type { OPTIMIZER_KINDS, OptimizerSpec } from './optimizers/index.js';
import type { ScheduleSpec } from './schedules.js';

/** The settings every training run records in its metrics.json (classifier and language-model runs add their data's). */
export interface RecordedTrainingSettings {
  epochs: number;
  batchSize: number;
  seed: number;
  optimizer: OptimizerSpec;
  schedule: ScheduleSpec;
  clipNorm: number | null;
  maxNorm: number | null;
  patience: number | null;
  checkpointEvery: number;
  maxSteps: number | null;
  threads: number;
}

/** Peak learning rate when none is given: PyTorch's usual starting points for SGD and Adam. */
export const DEFAULT_LR: Readonly<Record<(typeof OPTIMIZER_KINDS)[number], number>> = { sgd: 0.1, adam: 0.001, adamw: 0.001 };
/** SGD momentum when none is given (retort's default, as `retort train --momentum`). */
export const DEFAULT_SGD_MOMENTUM = 0.9;

export const LR_SCHEDULES = ['cosine', 'step', 'constant'] as const;
export type LrScheduleName = (typeof LR_SCHEDULES)[number];

/** A schedule as chosen for a run, before the run's length is known. */
export type LrSchedule =
  /** Cosine annealing over the run after a linear warmup (Loshchilov & Hutter 2017; Goyal et al. 2017). */
  | { kind: 'cosine'; warmupSteps: number; minLr?: number }
  /** lr * gamma every stepSize steps; by default a third of the run, rounded up to whole epochs. */
  | { kind: 'step'; stepSize?: number; gamma: number }
  /** Constant, after an optional linear warmup. */
  | { kind: 'constant'; warmupSteps: number };

export interface RunLength {
  /** Updates of the whole run (epochs x steps per epoch). */
  totalSteps: number;
  stepsPerEpoch: number;
}

/** The schedule over the whole run; `warmupOption` names the warmup setting in the error a too-long warmup gets. */
export function scheduleOverRun(schedule: LrSchedule, lr: number, run: RunLength, warmupOption = 'warmupSteps'): ScheduleSpec {
  const { totalSteps, stepsPerEpoch } = run;
  switch (schedule.kind) {
    case 'cosine':
      if (schedule.warmupSteps >= totalSteps) throw new RetortError('BAD_ARGUMENT', `${warmupOption} ${schedule.warmupSteps}: must be fewer than the run's ${totalSteps} steps`);
      return { kind: 'cosine', lr, totalSteps, warmupSteps: schedule.warmupSteps, ...(schedule.minLr !== undefined ? { minLr: schedule.minLr } : {}) };
    case 'step': {
      const stepSize = schedule.stepSize ?? stepsPerEpoch * Math.max(1, Math.ceil(totalSteps / stepsPerEpoch / 3));
      return { kind: 'step', lr, stepSize, gamma: schedule.gamma };
    }
    case 'constant':
      return schedule.warmupSteps > 0 ? { kind: 'linearWarmup', lr, warmupSteps: schedule.warmupSteps } : { kind: 'constant', lr };
  }
}
