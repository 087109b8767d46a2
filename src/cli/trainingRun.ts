/**
 * The run plumbing shared by the commands that train for epochs into an OUT folder (`retort train`,
 * `retort distill`): the model to train (built or loaded), the training set with its validation
 * hold-out, resume checks against the run that wrote OUT/metrics.json, one fit() per epoch with an
 * evaluation after each whole epoch, and metrics.json rewritten atomically after each fit().
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { splitValidation, subset, type Dataset } from '../data/dataset.js';
import { buildArchitecture, formatArchitecture, type Architecture } from '../models/spec.js';
import { loadModel } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import type { EpochRecord, Trainer, TrainResult } from '../train/trainer.js';
import { writeFileAtomic } from '../util/atomicWrite.js';
import { RetortError } from '../util/errors.js';
import { bad } from './trainingOptions.js';

/** Where the trained model came from, as recorded in metrics.json. */
export type ModelSource = { source: 'arch'; arch: string } | { source: 'file'; path: string; sha256: string };

export const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A built architecture (initialized with `seed`) or the ONNX model at `path`, and how to name it. */
export function modelToTrain(architecture: Architecture | undefined, path: string | undefined, seed: number): { model: ModelProto; source: ModelSource } {
  if (architecture) return { model: buildArchitecture(architecture, { seed }), source: { source: 'arch', arch: formatArchitecture(architecture) } };
  const resolved = resolve(path!);
  return { model: loadModel(resolved), source: { source: 'file', path: resolved, sha256: sha256(resolved) } };
}

/** The first `limitTrain` training samples (all when null), the last `validationSize` of them held out. */
export function holdOutValidation(all: Dataset, limitTrain: number | null, validationSize: number): { train: Dataset; validation?: Dataset } {
  const train = limitTrain === null ? all : subset(all, limitTrain);
  if (validationSize === 0) return { train };
  if (validationSize >= train.length) throw bad(`--validation ${validationSize}: must be smaller than the ${train.length} training samples`);
  return splitValidation(train, { method: 'last', size: validationSize });
}

export function writeMetrics(path: string, metrics: unknown): void {
  writeFileAtomic(path, JSON.stringify(metrics, null, 2) + '\n');
}

/** `--resume` needs the checkpoint; checked before any work. */
export function requireCheckpoint(resume: boolean | undefined, checkpointPath: string): void {
  if (resume && !existsSync(checkpointPath)) throw new RetortError('FILE_NOT_FOUND', `--resume: no checkpoint at ${checkpointPath}`);
}

function readMetrics<M>(path: string): M | null {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as M;
  } catch {
    return null;
  }
}

/**
 * With --resume, the metrics the interrupted run wrote (null when unreadable), after checking that it
 * describes this run in `fields` (the Trainer checks the rest against the checkpoint).
 */
export function previousRun<M extends { config: object }>(resume: boolean | undefined, metricsPath: string, config: M['config'], fields: readonly (keyof M['config'] & string)[]): M | null {
  const previous = resume ? readMetrics<M>(metricsPath) : null;
  if (previous) {
    const [recorded, wanted] = [previous.config as Record<string, unknown>, config as Record<string, unknown>];
    const differing = fields.filter((k) => JSON.stringify(recorded[k]) !== JSON.stringify(wanted[k]));
    if (differing.length > 0) {
      throw new RetortError('CHECKPOINT_INVALID', `--resume: ${metricsPath} records another run (${differing.map((k) => `${k} ${JSON.stringify(recorded[k])}`).join(', ')}); it cannot resume this one`);
    }
  }
  return previous;
}

/** Epochs finished before the checkpoint keep the results the earlier run recorded. */
export function epochsBefore<E extends { epoch: number }>(previous: { epochs: E[] } | null, step: number, stepsPerEpoch: number): E[] {
  return (previous?.epochs ?? []).filter((e) => e.epoch <= Math.floor(step / stepsPerEpoch));
}

/** What the loop keeps up to date in the command's metrics. */
export interface RunMetrics {
  steps: number;
  epochs: { epoch: number }[];
  timings: { trainSeconds: number; totalSeconds: number; samplesPerSecond: number };
}

export interface EpochEnd {
  /** The Trainer's record of the epoch just finished (`epoch` counts from 0). */
  record: EpochRecord;
  result: TrainResult;
  /** Wall time of the fit() that finished it. */
  seconds: number;
  samplesPerSecond: number;
}

export interface EpochLoop<M extends RunMetrics> {
  trainer: Trainer;
  totalSteps: number;
  stepsPerEpoch: number;
  batchSize: number;
  metrics: M;
  metricsPath: string;
  /** The epoch's entry of metrics.epochs (after its test pass); replaces one of the same number. */
  onEpoch: (end: EpochEnd) => Promise<M['epochs'][number]>;
}

/**
 * Trains to `totalSteps`, one fit() per epoch (the Trainer reads maxSteps at each call), so each whole
 * epoch ends with `onEpoch`; metrics.json is rewritten after every fit(), so an interrupted run keeps
 * its finished epochs. Returns whether early stopping ended the run.
 */
export async function trainEpochs<M extends RunMetrics>(loop: EpochLoop<M>): Promise<{ stoppedEarly: boolean }> {
  const { trainer, totalSteps, stepsPerEpoch, metrics } = loop;
  const epochsDone = (step: number): number => Math.floor(step / stepsPerEpoch);
  while (trainer.step < totalSteps) {
    const fromStep = trainer.step;
    // The Trainer holds the config it reads the budget from (distillation's copy adds the loss).
    trainer.config.maxSteps = Math.min(totalSteps, (epochsDone(fromStep) + 1) * stepsPerEpoch);
    const t0 = performance.now();
    const result = await trainer.fit();
    const seconds = (performance.now() - t0) / 1000;
    metrics.timings.trainSeconds += seconds;
    metrics.steps = trainer.step;
    const record = result.history.at(-1);
    if (record && trainer.step % stepsPerEpoch === 0 && record.epoch === epochsDone(trainer.step) - 1) {
      const epoch = await loop.onEpoch({ record, result, seconds, samplesPerSecond: ((trainer.step - fromStep) * loop.batchSize) / seconds });
      metrics.epochs = [...metrics.epochs.filter((e) => e.epoch !== epoch.epoch), epoch];
    }
    writeMetrics(loop.metricsPath, metrics);
    if (result.stoppedEarly) return { stoppedEarly: true };
    if (trainer.step === fromStep) break;
  }
  return { stoppedEarly: false };
}

/** Total time and training throughput (of the steps this invocation trained), then the last metrics.json. */
export function finishRun(metrics: RunMetrics, run: { metricsPath: string; started: number; batchSize: number; resumedFromStep: number | null }): void {
  metrics.timings.totalSeconds = (performance.now() - run.started) / 1000;
  const trainedSteps = metrics.steps - (run.resumedFromStep ?? 0);
  metrics.timings.samplesPerSecond = metrics.timings.trainSeconds > 0 ? (trainedSteps * run.batchSize) / metrics.timings.trainSeconds : 0;
  writeMetrics(run.metricsPath, metrics);
}

/** The metrics as JSON on stdout with the command line, or the command's table. */
export function printRun<M>(metrics: M, json: boolean | undefined, argv: readonly string[], print: (metrics: M) => void): void {
  if (json) process.stdout.write(JSON.stringify({ ...metrics, command: argv.slice(2) }, null, 2) + '\n');
  else print(metrics);
}
