/**
 * Command-line parsing shared by the commands that train (`retort train`, `retort distill`, `retort qat`, ...): number
 * and choice checks that name the flag, and the optimizer and learning-rate schedule options, so
 * `--optimizer sgd --momentum 0.9 --schedule cosine` means the same thing in every command.
 */
import { Option } from 'commander';
import { OPTIMIZER_KINDS, type OptimizerSpec } from '../train/optimizers/index.js';
import { DEFAULT_LR, DEFAULT_SGD_MOMENTUM, LR_SCHEDULES, scheduleOverRun, type LrScheduleName } from '../train/runSettings.js';
import type { ScheduleSpec } from '../train/schedules.js';
import { RetortError } from '../util/errors.js';

export const SCHEDULES = LR_SCHEDULES;
export type ScheduleName = LrScheduleName;
export type OptimizerName = (typeof OPTIMIZER_KINDS)[number];

/** The optimizer flags as commander hands them over. */
export interface OptimizerFlags {
  momentum?: string;
  nesterov?: boolean;
  weightDecay?: string;
}

/** The schedule flags as commander hands them over (defaults applied). */
export interface ScheduleFlags {
  warmupSteps: string;
  stepSize?: string;
  gamma: string;
}

/** The flags of every command that trains, as commander hands them over (defaults applied). */
export interface TrainingFlags extends OptimizerFlags, ScheduleFlags {
  epochs: string;
  batchSize: string;
  optimizer: string;
  lr?: string;
  schedule: string;
  seed: string;
  threads: string;
  json?: boolean;
}

/** The training flags parsed; the schedule waits for the data (scheduleFor). */
export interface TrainingSettings {
  epochs: number;
  batchSize: number;
  optimizerKind: OptimizerName;
  optimizer: OptimizerSpec;
  scheduleKind: ScheduleName;
  lr: number;
  seed: number;
}

export function bad(message: string): RetortError {
  return new RetortError('BAD_ARGUMENT', message);
}

export function parseNumber(flag: string, value: string, rule: 'positive' | 'nonnegative' | 'positive-int' | 'nonnegative-int'): number {
  const n = value.trim() === '' ? NaN : Number(value);
  const integer = rule.endsWith('-int');
  const ok = Number.isFinite(n) && (rule.startsWith('positive') ? n > 0 : n >= 0) && (!integer || Number.isInteger(n));
  if (!ok) {
    const what = `${rule.startsWith('positive') ? 'a positive' : 'a non-negative'} ${integer ? 'whole number' : 'number'}`;
    throw bad(`${flag} "${value}": expected ${what}`);
  }
  return n;
}

/** An optional number flag: null when not given. */
export function parseOptional(flag: string, value: string | undefined, rule: Parameters<typeof parseNumber>[2]): number | null {
  return value === undefined ? null : parseNumber(flag, value, rule);
}

/** --validation: the samples held out of the training set; default 5000, or a tenth of --limit-train. */
export function validationSize(value: string | undefined, limitTrain: number | null): number {
  return value === undefined ? (limitTrain === null ? 5000 : Math.floor(limitTrain / 10)) : parseNumber('--validation', value, 'nonnegative-int');
}

export function choice<T extends string>(flag: string, value: string, valid: readonly T[]): T {
  if ((valid as readonly string[]).includes(value)) return value as T;
  throw bad(`${flag} "${value}": should be one of: ${valid.join(', ')}`);
}

export function optimizerSpec(flags: OptimizerFlags, kind: OptimizerName): OptimizerSpec {
  const weightDecay = flags.weightDecay === undefined ? undefined : parseNumber('--weight-decay', flags.weightDecay, 'nonnegative');
  if (kind === 'sgd') {
    const momentum = parseNumber('--momentum', flags.momentum ?? String(DEFAULT_SGD_MOMENTUM), 'nonnegative');
    if (momentum >= 1) throw bad(`--momentum "${flags.momentum}": expected a number in [0, 1)`);
    if (flags.nesterov && momentum === 0) throw bad('--nesterov needs --momentum > 0');
    return { kind, momentum, nesterov: Boolean(flags.nesterov), weightDecay: weightDecay ?? 0 };
  }
  if (flags.momentum !== undefined || flags.nesterov) throw bad(`--momentum and --nesterov apply to --optimizer sgd, not ${kind}`);
  return weightDecay === undefined ? { kind } : { kind, weightDecay };
}

export function scheduleSpec(flags: ScheduleFlags, kind: ScheduleName, lr: number, totalSteps: number, stepsPerEpoch: number): ScheduleSpec {
  const warmupSteps = parseNumber('--warmup-steps', flags.warmupSteps, 'nonnegative-int');
  const run = { totalSteps, stepsPerEpoch };
  if (kind === 'step') {
    if (warmupSteps > 0) throw bad('--warmup-steps applies to --schedule cosine or constant');
    const stepSize = flags.stepSize === undefined ? undefined : parseNumber('--step-size', flags.stepSize, 'positive-int');
    return scheduleOverRun({ kind, gamma: parseNumber('--gamma', flags.gamma, 'positive'), ...(stepSize !== undefined ? { stepSize } : {}) }, lr, run);
  }
  return scheduleOverRun({ kind, warmupSteps }, lr, run, '--warmup-steps');
}

/** The optimizer and schedule options with their help, for a command to add (`addOption`). */
export function optimizationOptions(): Option[] {
  return [
    new Option('--optimizer <name>', `update rule: ${OPTIMIZER_KINDS.join(', ')}`).default('sgd'),
    new Option('--lr <x>', `peak learning rate (default ${DEFAULT_LR.sgd} for sgd, ${DEFAULT_LR.adam} for adam and adamw)`),
    new Option('--momentum <x>', `SGD momentum in [0, 1) (default ${DEFAULT_SGD_MOMENTUM}; sgd only)`),
    new Option('--nesterov', 'Nesterov momentum (sgd only)'),
    new Option('--weight-decay <x>', 'L2 penalty for sgd and adam; decoupled decay for adamw (default 0, adamw 0.01)'),
    new Option('--schedule <name>', `learning-rate schedule over the whole run: ${SCHEDULES.join(', ')}`).default('cosine'),
    new Option('--warmup-steps <n>', 'linear warmup steps before the schedule (cosine, constant)').default('0'),
    new Option('--step-size <n>', 'step schedule: steps between decays (default a third of the run, rounded up to whole epochs)'),
    new Option('--gamma <x>', 'step schedule: factor applied at each decay').default('0.1'),
  ];
}

export function parseTrainingFlags(flags: TrainingFlags): TrainingSettings {
  const epochs = parseNumber('--epochs', flags.epochs, 'positive-int');
  const batchSize = parseNumber('--batch-size', flags.batchSize, 'positive-int');
  const optimizerKind = choice('--optimizer', flags.optimizer, OPTIMIZER_KINDS);
  const scheduleKind = choice('--schedule', flags.schedule, SCHEDULES);
  const lr = parseNumber('--lr', flags.lr ?? defaultLr(optimizerKind), 'positive');
  const optimizer = optimizerSpec(flags, optimizerKind);
  const seed = parseNumber('--seed', flags.seed, 'nonnegative-int');
  return { epochs, batchSize, optimizerKind, optimizer, scheduleKind, lr, seed };
}

/** The schedule over the whole run (all epochs), whatever budget (--max-steps) stops it earlier. */
export function scheduleFor(flags: ScheduleFlags, settings: TrainingSettings, stepsPerEpoch: number): ScheduleSpec {
  return scheduleSpec(flags, settings.scheduleKind, settings.lr, settings.epochs * stepsPerEpoch, stepsPerEpoch);
}

/**
 * The settings a text run records that come straight from the common flags: epochs, batch, seed,
 * optimizer, the schedule over the whole run (not a --max-steps budget, so interrupted and whole
 * runs agree), the step budget and ORT threads.
 */
export function runSettingsFromFlags(flags: ScheduleFlags & { maxSteps?: string; threads: string }, settings: TrainingSettings, stepsPerEpoch: number) {
  return {
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    seed: settings.seed,
    optimizer: settings.optimizer,
    schedule: scheduleFor(flags, settings, stepsPerEpoch),
    maxSteps: parseOptional('--max-steps', flags.maxSteps, 'positive-int'),
    threads: parseNumber('--threads', flags.threads, 'nonnegative-int'),
  };
}

/** Default learning rate of an optimizer when --lr is not given. */
export function defaultLr(kind: OptimizerName): string {
  return String(DEFAULT_LR[kind]);
}
