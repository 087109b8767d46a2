/**
 * Training for epochs into a folder: one fit() per epoch so each whole epoch ends with the caller's
 * evaluation, and a metrics file rewritten atomically after every fit(), so an interrupted run keeps
 * its finished epochs and a resumed one continues the same record. Shared by every run that trains
 * for epochs (`retort train`, `retort distill`, the recipe stages that train).
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomicWrite.js';
import type { EpochRecord, Trainer, TrainResult } from './trainer.js';

export function writeMetrics(path: string, metrics: unknown): void {
  writeFileAtomic(path, JSON.stringify(metrics, null, 2) + '\n');
}

/** The metrics file an earlier (interrupted) run wrote, or null when there is none or it is unreadable. */
export function readMetrics<M>(path: string): M | null {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as M;
  } catch {
    return null;
  }
}

/** Epochs finished before the checkpoint keep the results the earlier run recorded. */
export function epochsBefore<E extends { epoch: number }>(previous: { epochs: E[] } | null, step: number, stepsPerEpoch: number): E[] {
  return (previous?.epochs ?? []).filter((e) => e.epoch <= Math.floor(step / stepsPerEpoch));
}

/** What the loop keeps up to date in the run's metrics. */
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
 * epoch ends with `onEpoch`; the metrics file is rewritten after every fit(). Returns whether early
 * stopping ended the run.
 */
export async function trainEpochs<M extends RunMetrics>(loop: EpochLoop<M>): Promise<{ stoppedEarly: boolean }> {
  const { trainer, totalSteps, stepsPerEpoch, metrics } = loop;
  const epochsDone = (step: number): number => Math.floor(step / stepsPerEpoch);
  const atBoundary = epochsDone(trainer.step);
  if (trainer.step > 0 && trainer.step % stepsPerEpoch === 0 && !metrics.epochs.some((e) => e.epoch === atBoundary)) {
    // Resumed at the end of an epoch whose entry was lost (interrupted during its test pass): the
    // weights are that epoch's, so it is evaluated now. A fit() with no steps left returns the
    // Trainer's record of it; its timing is unknown (NaN, null in JSON).
    trainer.config.maxSteps = trainer.step;
    const result = await trainer.fit();
    const record = result.history.at(-1);
    if (record && record.epoch === atBoundary - 1) {
      const epoch = await loop.onEpoch({ record, result, seconds: NaN, samplesPerSecond: NaN });
      metrics.epochs = [...metrics.epochs, epoch];
      writeMetrics(loop.metricsPath, metrics);
    }
  }
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

/** Total time and training throughput (of the steps this invocation trained), then the last metrics file. */
export function finishRun(metrics: RunMetrics, run: { metricsPath: string; started: number; batchSize: number; resumedFromStep: number | null }): void {
  metrics.timings.totalSeconds = (performance.now() - run.started) / 1000;
  const trainedSteps = metrics.steps - (run.resumedFromStep ?? 0);
  metrics.timings.samplesPerSecond = metrics.timings.trainSeconds > 0 ? (trainedSteps * run.batchSize) / metrics.timings.trainSeconds : 0;
  writeMetrics(run.metricsPath, metrics);
}
