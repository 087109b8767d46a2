/**
 * One run of training a classifier into a folder, as `retort train` and the recipe stage `train` do
 * it: the Trainer (from the checkpoint when resuming), one fit() per epoch with a test pass after
 * each whole epoch, metrics.json rewritten after every fit(), and at the end the inference model and
 * the final metrics (per-epoch history, test error, timings, the full config).
 */
import { batchCount } from '../data/batches.js';
import type { Dataset } from '../data/dataset.js';
import { modelInputDims } from '../data/forModel.js';
import { Graph } from '../onnx/graph.js';
import { encodeModel, saveModel } from '../onnx/model.js';
import { parameterCount } from '../onnx/parameters.js';
import type { ModelProto } from '../onnx/proto.js';
import { Session, type Provider } from '../runtime/session.js';
import { epochsBefore, finishRun, trainEpochs } from './epochLoop.js';
import { evaluateClassifier, type Evaluation } from './evaluate.js';
import { jitterAugmentation } from './jitter.js';
import { maxNormConstraints } from './maxNormConstraints.js';
import type { ModelSource } from './modelSource.js';
import type { ProgressMode } from './progress.js';
import type { RecordedTrainingSettings } from './runSettings.js';
import { Trainer, type TrainerConfig } from './trainer.js';

/** Everything that decides the run, as recorded in metrics.json. */
export interface RunConfig extends RecordedTrainingSettings {
  model: ModelSource;
  data: string;
  limitTrain: number | null;
  validation: number;
  provider: Provider;
  /** Jitter of the training images by up to this many pixels (present only when used). */
  jitter?: number;
}

export interface ErrorSummary {
  loss: number;
  accuracy: number;
  samples: number;
  errors: number;
  errorPercent: number;
}

export interface EpochMetrics {
  epoch: number;
  steps: number;
  trainLoss: number;
  trainAccuracy: number;
  validation: ErrorSummary | null;
  test: ErrorSummary;
  /** Wall time of the epoch's training steps (and its validation pass), without the test pass. */
  seconds: number;
  samplesPerSecond: number;
}

export interface TrainMetrics {
  format: 'retort-train-metrics';
  version: 1;
  status: 'running' | 'complete' | 'max-steps' | 'early-stopped';
  date: string;
  config: RunConfig;
  seed: number;
  model: { parameters: number; inputDims: number[] };
  data: { name: string; train: number; validation: number; test: number; inputDims: number[] };
  stepsPerEpoch: number;
  steps: number;
  epochs: EpochMetrics[];
  test: ErrorSummary | null;
  timings: { setupSeconds: number; trainSeconds: number; testSeconds: number; totalSeconds: number; samplesPerSecond: number };
  resumedFromStep: number | null;
}

export interface ClassifierRun {
  model: ModelProto;
  config: RunConfig;
  data: { train: Dataset; validation?: Dataset; test: Dataset };
  files: { model: string; metrics: string; checkpoint: string };
  /** Continue from files.checkpoint (the Trainer refuses one written by another configuration). */
  resume: boolean;
  /** The metrics file of the run being resumed (its finished epochs are kept), or null. */
  previous: TrainMetrics | null;
  progress: ProgressMode;
  /** One line per epoch: stderr for the command, the run's log for a recipe stage. */
  note: (line: string) => void;
  /** performance.now() when the run's setup began. */
  started: number;
}

/** Updates per epoch (the last partial batch is dropped) and the steps this run trains to. */
export function runSteps(trainSamples: number, config: Pick<RunConfig, 'batchSize' | 'epochs' | 'maxSteps'>): { stepsPerEpoch: number; totalSteps: number } {
  const stepsPerEpoch = batchCount(trainSamples, config.batchSize, true);
  return { stepsPerEpoch, totalSteps: Math.min(config.maxSteps ?? Infinity, config.epochs * stepsPerEpoch) };
}

export function summarize(evaluation: Evaluation): ErrorSummary {
  const errors = evaluation.samples - Math.round(evaluation.accuracy * evaluation.samples);
  return { loss: evaluation.loss, accuracy: evaluation.accuracy, samples: evaluation.samples, errors, errorPercent: (100 * errors) / evaluation.samples };
}

/** The Trainer's settings from the recorded config. */
export function classifierTrainerConfig(config: RunConfig, model: ModelProto, train: Dataset, checkpointPath: string, progress: ProgressMode): TrainerConfig {
  return {
    batchSize: config.batchSize,
    epochs: config.epochs,
    seed: config.seed,
    optimizer: config.optimizer,
    schedule: config.schedule,
    ...(config.clipNorm !== null ? { clipGlobalNorm: config.clipNorm } : {}),
    ...(config.maxNorm !== null ? { maxNorm: maxNormConstraints(model, config.maxNorm) } : {}),
    ...(config.patience !== null ? { earlyStopping: { patience: config.patience, metric: 'loss' as const } } : {}),
    ...(config.jitter ? { augmentation: jitterAugmentation(train, config.jitter) } : {}),
    checkpoint: { path: checkpointPath, everySteps: config.checkpointEvery },
    threads: config.threads,
    progress,
  };
}

export async function trainClassifier(run: ClassifierRun): Promise<{ metrics: TrainMetrics; model: ModelProto }> {
  const { model, config, data, files } = run;
  const { train, validation, test } = data;
  const { stepsPerEpoch, totalSteps } = runSteps(train.length, config);
  const trainerConfig = classifierTrainerConfig(config, model, train, files.checkpoint, run.progress);
  const trainer = await Trainer.create(model, trainerConfig, { train, ...(validation ? { validation } : {}) }, run.resume ? { resumeFrom: files.checkpoint } : {});
  const resumedFromStep = run.resume ? trainer.step : null;
  const metrics: TrainMetrics = {
    format: 'retort-train-metrics',
    version: 1,
    status: 'running',
    date: new Date().toISOString(),
    config,
    seed: config.seed,
    model: { parameters: parameterCount(new Graph(model.graph!)), inputDims: modelInputDims(model) ?? [...train.inputDims] },
    data: { name: config.data, train: train.length, validation: validation?.length ?? 0, test: test.length, inputDims: [...train.inputDims] },
    stepsPerEpoch,
    steps: trainer.step,
    epochs: epochsBefore(run.previous, trainer.step, stepsPerEpoch),
    test: null,
    timings: { setupSeconds: 0, trainSeconds: 0, testSeconds: 0, totalSeconds: 0, samplesPerSecond: 0 },
    resumedFromStep,
  };
  metrics.timings.setupSeconds = (performance.now() - run.started) / 1000;

  const testOnce = async (): Promise<ErrorSummary> => {
    const t0 = performance.now();
    const session = await Session.create(encodeModel(trainer.exportModel()), { name: 'test model', threads: config.threads, provider: config.provider });
    try {
      return summarize(await evaluateClassifier(session, test, 1000));
    } finally {
      await session.dispose();
      metrics.timings.testSeconds += (performance.now() - t0) / 1000;
    }
  };

  let stoppedEarly = false;
  let trained: ModelProto;
  try {
    // Each epoch ends with a test pass.
    ({ stoppedEarly } = await trainEpochs({
      trainer,
      totalSteps,
      stepsPerEpoch,
      batchSize: config.batchSize,
      metrics,
      metricsPath: files.metrics,
      onEpoch: async ({ record, seconds, samplesPerSecond }) => {
        const testErrors = await testOnce();
        const epoch: EpochMetrics = {
          epoch: record.epoch + 1,
          steps: trainer.step,
          trainLoss: record.trainLoss,
          trainAccuracy: record.trainAccuracy,
          validation: record.validation ? summarize(record.validation) : null,
          test: testErrors,
          seconds,
          samplesPerSecond,
        };
        run.note(`epoch ${epoch.epoch}: test error ${testErrors.errors} of ${testErrors.samples} (${testErrors.errorPercent.toFixed(2)}%), ${seconds.toFixed(1)} s`);
        return epoch;
      },
    }));
    const last = metrics.epochs.at(-1);
    metrics.test = last && last.steps === trainer.step ? last.test : await testOnce();
    trained = trainer.exportModel();
    saveModel(trained, files.model);
  } finally {
    await trainer.dispose();
  }
  metrics.status = stoppedEarly ? 'early-stopped' : trainer.step < config.epochs * stepsPerEpoch ? 'max-steps' : 'complete';
  finishRun(metrics, { metricsPath: files.metrics, started: run.started, batchSize: config.batchSize, resumedFromStep });
  return { metrics, model: trained };
}
