/**
 * One resumable training stage of a recipe: epochs of a Trainer (plain or distillation), a metrics
 * file rewritten after every epoch, a checkpoint the next run continues from, and on completion the
 * inference ONNX. A stage whose metrics say "complete" with the same stage hash is not run again,
 * so a killed pipeline resumes at the stage it was in, from that stage's last checkpoint.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { batchCount } from '../../data/batches.js';
import { saveModel } from '../../onnx/model.js';
import type { ModelProto } from '../../onnx/proto.js';
import { maxNormConstraints } from '../../train/maxNormConstraints.js';
import type { ProgressMode } from '../../train/progress.js';
import type { Trainer, TrainData, TrainerConfig } from '../../train/trainer.js';
import { writeFileAtomic } from '../../util/atomicWrite.js';
import { isRetortError } from '../../util/errors.js';
import type { DemoStage, TrainingRecipe } from './recipe.js';

/** File names inside the demo folder, per stage. */
export const STAGE_FILES: Record<DemoStage, string> = {
  teacher: 'teacher',
  hardStudent: 'student-hard',
  distilledStudent: 'student-distilled',
  pruned: 'student-pruned',
  prunedInt8: 'student-pruned-int8',
};

export interface StageFiles {
  model: string;
  metrics: string;
  checkpoint: string;
}

export function stageFiles(dir: string, stage: DemoStage): StageFiles {
  const base = join(dir, STAGE_FILES[stage]);
  return { model: `${base}.onnx`, metrics: `${base}.json`, checkpoint: `${base}.ckpt` };
}

export interface EpochEntry {
  epoch: number;
  steps: number;
  trainLoss: number;
  trainAccuracy: number;
  /** Held-out training images (only when the recipe holds some out). */
  validation: { loss: number; errors: number; samples: number } | null;
  seconds: number;
  samplesPerSecond: number;
}

/** What every stage's metrics file says: which stage, which hash, finished or not. */
export interface StageRecord {
  format: 'retort-demo-stage';
  version: 1;
  stage: DemoStage;
  hash: string;
  status: 'running' | 'complete';
  seed: number;
}

/** A stage that trains (from scratch, or the pruned student's masked fine-tune). */
export interface StageMetrics extends StageRecord {
  recipe: TrainingRecipe;
  data: { train: number; validation: number };
  stepsPerEpoch: number;
  steps: number;
  history: EpochEntry[];
  timings: { trainSeconds: number; secondsPerStep: number };
  /** Step the last run of this stage started from (null: from scratch). */
  resumedFromStep: number | null;
  /** How the distilled student got the teacher's logits. */
  teacherSignal?: string;
}

/** The metrics of a finished stage with this hash whose model is on disk, else null. */
export function finishedStage<T extends StageRecord = StageMetrics>(files: StageFiles, hash: string): T | null {
  const metrics = readStageMetrics<T>(files.metrics);
  return metrics && metrics.status === 'complete' && metrics.hash === hash && existsSync(files.model) ? metrics : null;
}

function readStageMetrics<T extends StageRecord = StageMetrics>(path: string): T | null {
  if (!existsSync(path)) return null;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as T;
    return parsed.format === 'retort-demo-stage' ? parsed : null;
  } catch {
    return null;
  }
}

/** Trainer settings from a stage recipe: SGD, cosine over the stage, optional warmup, max-norm and jitter. */
export function trainerConfig(
  recipe: TrainingRecipe,
  model: ModelProto,
  options: { seed: number; stepsPerEpoch: number; threads: number; progress: ProgressMode; checkpoint: string },
): Omit<TrainerConfig, 'loss'> {
  const { seed, stepsPerEpoch, threads, progress, checkpoint } = options;
  return {
    batchSize: recipe.batchSize,
    epochs: recipe.epochs,
    seed,
    optimizer: recipe.optimizer,
    schedule: { kind: 'cosine', lr: recipe.lr, totalSteps: recipe.epochs * stepsPerEpoch, warmupSteps: recipe.warmupEpochs * stepsPerEpoch },
    ...(recipe.maxNorm !== null ? { maxNorm: maxNormConstraints(model, recipe.maxNorm) } : {}),
    ...(recipe.jitter > 0 ? { augmentation: { kind: 'jitter' as const, maxShift: recipe.jitter, height: 28, width: 28 } } : {}),
    checkpoint: { path: checkpoint, everySteps: stepsPerEpoch },
    threads,
    progress,
  };
}

export interface OpenedTrainer {
  trainer: Trainer;
  close: () => Promise<void>;
  teacherSignal?: string;
}

export interface TrainingJob {
  stage: DemoStage;
  hash: string;
  files: StageFiles;
  recipe: TrainingRecipe;
  seed: number;
  data: TrainData;
  /** Creates the stage's trainer, from the checkpoint when given. */
  open: (resumeFrom: string | undefined) => Promise<OpenedTrainer>;
  log: (line: string) => void;
}

export interface TrainedStage {
  model: ModelProto;
  metrics: StageMetrics;
}

/** Opens from the checkpoint of an unfinished run of the same stage hash, else from scratch. */
async function openResumable(job: TrainingJob, previous: StageMetrics | null): Promise<{ opened: OpenedTrainer; resumed: boolean }> {
  const { files, log } = job;
  if (previous?.hash === job.hash && previous.status === 'running' && existsSync(files.checkpoint)) {
    try {
      return { opened: await job.open(files.checkpoint), resumed: true };
    } catch (e) {
      if (!isRetortError(e) || e.code !== 'CHECKPOINT_INVALID') throw e;
      log(`${job.stage}: cannot resume from ${files.checkpoint} (${e.message}); starting over`);
    }
  }
  rmSync(files.checkpoint, { force: true });
  return { opened: await job.open(undefined), resumed: false };
}

export async function runTrainingJob(job: TrainingJob): Promise<TrainedStage> {
  const { files, recipe, data, log } = job;
  const stepsPerEpoch = batchCount(data.train.length, recipe.batchSize, true);
  const totalSteps = recipe.epochs * stepsPerEpoch;
  const previous = readStageMetrics(files.metrics);
  const { opened, resumed } = await openResumable(job, previous);
  const { trainer } = opened;
  const metrics: StageMetrics = {
    format: 'retort-demo-stage',
    version: 1,
    stage: job.stage,
    hash: job.hash,
    status: 'running',
    seed: job.seed,
    recipe,
    data: { train: data.train.length, validation: data.validation?.length ?? 0 },
    stepsPerEpoch,
    steps: trainer.step,
    // Epochs finished before the checkpoint keep the timings the earlier run recorded.
    history: resumed ? previous!.history.filter((e) => e.steps <= trainer.step) : [],
    timings: { trainSeconds: resumed ? previous!.timings.trainSeconds : 0, secondsPerStep: 0 },
    resumedFromStep: resumed ? trainer.step : null,
    ...(opened.teacherSignal ? { teacherSignal: opened.teacherSignal } : {}),
  };
  if (resumed) log(`${job.stage}: resuming from step ${trainer.step} of ${totalSteps} (${files.checkpoint})`);
  try {
    // One fit() per epoch (the Trainer reads maxSteps at each call), so each epoch gets its own timing.
    while (trainer.step < totalSteps) {
      const fromStep = trainer.step;
      trainer.config.maxSteps = Math.min(totalSteps, (Math.floor(fromStep / stepsPerEpoch) + 1) * stepsPerEpoch);
      const t0 = performance.now();
      const result = await trainer.fit();
      const seconds = (performance.now() - t0) / 1000;
      if (trainer.step === fromStep) break;
      metrics.timings.trainSeconds += seconds;
      metrics.steps = trainer.step;
      const record = result.history.at(-1);
      if (record && trainer.step % stepsPerEpoch === 0) {
        const v = record.validation;
        metrics.history.push({
          epoch: record.epoch + 1,
          steps: trainer.step,
          trainLoss: record.trainLoss,
          trainAccuracy: record.trainAccuracy,
          validation: v ? { loss: v.loss, errors: v.samples - Math.round(v.accuracy * v.samples), samples: v.samples } : null,
          seconds,
          samplesPerSecond: ((trainer.step - fromStep) * recipe.batchSize) / seconds,
        });
      }
      // Written before the epoch is announced: whoever sees the line can rely on the checkpoint and metrics.
      writeFileAtomic(files.metrics, JSON.stringify(metrics, null, 2) + '\n');
      const entry = metrics.history.at(-1);
      if (entry && entry.steps === trainer.step) {
        const validation = entry.validation ? `, validation errors ${entry.validation.errors}/${entry.validation.samples}` : '';
        log(`${job.stage}: epoch ${entry.epoch}/${recipe.epochs} ${seconds.toFixed(1)} s (${((1000 * seconds) / (trainer.step - fromStep)).toFixed(1)} ms/step)${validation}`);
      }
    }
    const model = trainer.exportModel();
    const trainedSteps = trainer.step - (metrics.resumedFromStep ?? 0);
    metrics.timings.secondsPerStep = trainedSteps > 0 ? metrics.history.filter((e) => e.steps > (metrics.resumedFromStep ?? 0)).reduce((s, e) => s + e.seconds, 0) / trainedSteps : 0;
    // The model first, then "complete": a metrics file that says complete always has its model.
    saveModel(model, files.model);
    metrics.status = 'complete';
    writeFileAtomic(files.metrics, JSON.stringify(metrics, null, 2) + '\n');
    rmSync(files.checkpoint, { force: true });
    return { model, metrics };
  } finally {
    await opened.close();
  }
}
