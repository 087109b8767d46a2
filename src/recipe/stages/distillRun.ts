/**
 * One run of offline distillation into a folder, as `retort distill` and the recipe stage `distill`
 * do it: the teacher's test logits (its own errors, and the reference for the student's agreement),
 * optional FitNets hint pre-training (Romero et al. 2015), the student trained on the objective's
 * terms (optionally with pruning masks, so a pruned student stays pruned) from the checkpoint when
 * resuming, a test pass with agreement after each whole epoch, and for the omitted-class experiment
 * (Hinton et al. 2015, §3) the output-bias correction chosen on the held-out split. It composes
 * distillation with evaluation (fidelity to the teacher), so it sits above both.
 */
import { reshapeInputs, type Dataset } from '../../data/dataset.js';
import { modelInputDims } from '../../data/forModel.js';
import { chooseBiasOffset, countErrors, offsetGrid, withClassBias, type ClassErrors, type OffsetChoice } from '../../distill/biasCorrection.js';
import { createDistillationTrainer } from '../../distill/distill.js';
import { hintPretrain, splitHintTerms } from '../../distill/hintStage.js';
import type { TeacherWeighting } from '../../distill/teacherEnsemble.js';
import { recordedTerms, type RecordedTerm } from '../../distill/terms/objective.js';
import type { WeightedTerm } from '../../distill/terms/types.js';
import { teacherAgreement } from '../../eval/fidelity.js';
import { datasetLogits, type DatasetLogits } from '../../eval/logits.js';
import { predictionsOf } from '../../eval/metrics/predictions.js';
import { Graph } from '../../onnx/graph.js';
import { encodeModel, saveModel } from '../../onnx/model.js';
import { parameterCount } from '../../onnx/parameters.js';
import type { ModelProto } from '../../onnx/proto.js';
import { Session } from '../../runtime/session.js';
import { runSteps } from '../../train/classifierRun.js';
import { epochsBefore, finishRun, trainEpochs } from '../../train/epochLoop.js';
import { jitterAugmentation } from '../../train/jitter.js';
import type { ModelSource } from '../../train/modelSource.js';
import type { OptimizerSpec } from '../../train/optimizers/index.js';
import type { ProgressMode } from '../../train/progress.js';
import type { ScheduleSpec } from '../../train/schedules.js';
import type { TrainerConfig } from '../../train/trainer.js';
import { RetortError } from '../../util/errors.js';

/** Bias offsets searched for the omitted class: 0 to 10 in steps of 0.25 (the paper's 3.5 is inside). */
export const BIAS_GRID = { max: 10, step: 0.25 };

export const TEACHER_SIGNALS = ['auto', 'cached', 'per-batch'] as const;

export interface DistillConfig {
  /**
   * The teacher file; for an ensemble, its members' paths joined by " + ", a SHA-256 over theirs,
   * and the members with how their soft targets were combined.
   */
  teacher: { path: string; sha256: string; ensemble?: { members: { path: string; sha256: string }[]; temperature: number; weighting: TeacherWeighting } };
  student: ModelSource;
  data: string;
  limitTrain: number | null;
  validation: number;
  omitClass: number | null;
  /** Classic KD (`retort distill --temperature --alpha`); absent when the objective is `terms`. */
  temperature?: number;
  alpha?: number;
  epochs: number;
  batchSize: number;
  seed: number;
  optimizer: OptimizerSpec;
  schedule: ScheduleSpec;
  /** Jitter of the transfer set's images by up to this many pixels, 0 for none. */
  jitter: number;
  teacherSignal: (typeof TEACHER_SIGNALS)[number];
  checkpointEvery: number;
  maxSteps: number | null;
  threads: number;
  /** The objective's terms when given as terms (the classic temperature/alpha otherwise). */
  terms?: RecordedTerm[];
  /** Epochs of FitNets stage 1 (hint pre-training) before the distillation epochs. */
  hintEpochs?: number;
  /** Masks from the student's exact zeros kept in the training graph (present only when set). */
  keepSparsity?: true;
}

/** Test-set quality of one model: errors out of the test set, per true class, and agreement with the teacher. */
export interface TestErrors {
  samples: number;
  errors: number;
  errorPercent: number;
  perClass: { errors: number; samples: number }[];
  teacherAgreement: number;
}

export interface DistillEpoch {
  epoch: number;
  steps: number;
  trainLoss: number;
  /** Hard-label accuracy on the (transfer set) training batches. */
  trainAccuracy: number;
  validation: { loss: number; errors: number; errorPercent: number } | null;
  test: { errors: number; errorPercent: number; teacherAgreement: number };
  seconds: number;
  samplesPerSecond: number;
}

/** Errors overall and on the omitted class. */
export interface ClassSummary {
  samples: number;
  errors: number;
  errorPercent: number;
  classSamples: number;
  classErrors: number;
}

export interface BiasCorrectionReport {
  classIndex: number;
  offset: number;
  grid: { max: number; step: number };
  /** Errors on the held-out validation split at each offset searched (what chose the offset). */
  errorsByOffset: OffsetChoice['errorsByOffset'];
  validation: { before: ClassSummary; after: ClassSummary };
  test: { before: ClassSummary & { teacherAgreement: number }; after: ClassSummary & { teacherAgreement: number } };
}

export interface DistillMetrics {
  format: 'retort-distill-metrics';
  version: 1;
  status: 'running' | 'complete' | 'max-steps';
  date: string;
  config: DistillConfig;
  teacherSignal: 'cached' | 'per-batch' | 'none';
  teacher: { parameters: number; test: TestErrors };
  student: { parameters: number; inputDims: number[] };
  data: { name: string; transferSet: number; omittedSamples: number; validation: number; test: number; inputDims: number[] };
  stepsPerEpoch: number;
  steps: number;
  epochs: DistillEpoch[];
  /** The final student (after bias correction when omitClass). */
  test: TestErrors | null;
  biasCorrection: BiasCorrectionReport | null;
  timings: { setupSeconds: number; teacherSeconds: number; trainSeconds: number; testSeconds: number; biasCorrectionSeconds: number; totalSeconds: number; samplesPerSecond: number };
  resumedFromStep: number | null;
}

export interface DistillationRunSpec {
  teacher: ModelProto;
  student: ModelProto;
  config: DistillConfig;
  /** `train` is the transfer set (without the omitted class when config.omitClass is set). */
  data: { train: Dataset; validation?: Dataset; test: Dataset };
  /** Samples the transfer set lost to config.omitClass (0 otherwise). */
  omittedSamples: number;
  /** The objective; classic KD from config.temperature and config.alpha when absent. */
  terms?: WeightedTerm[];
  /** Pruning masks by parameter name (1 keeps), kept in the training graph. */
  masks?: ReadonlyMap<string, Float32Array>;
  /** `model`: the final student; `uncorrectedModel`: the student before the bias correction (omitClass only). */
  files: { model: string; uncorrectedModel?: string; metrics: string; checkpoint: string };
  /** Continue from files.checkpoint (the Trainer refuses one written by another configuration). */
  resume: boolean;
  /** The metrics file of the run being resumed (its finished epochs are kept), or null. */
  previous: DistillMetrics | null;
  progress: ProgressMode;
  /** One line per epoch: stderr for the command, the run's log for a recipe stage. */
  note: (line: string) => void;
  /** performance.now() when the run's setup began. */
  started: number;
}

async function logitsOf(model: ModelProto, dataset: Dataset, threads: number): Promise<DatasetLogits> {
  const session = await Session.create(encodeModel(model), { name: 'evaluation model', threads });
  try {
    return await datasetLogits(session, dataset);
  } finally {
    await session.dispose();
  }
}

function testErrors(scored: DatasetLogits, teacher: DatasetLogits): TestErrors {
  const { samples, errors, errorPercent, perClass }: ClassErrors = countErrors(scored);
  return { samples, errors, errorPercent, perClass, teacherAgreement: teacherAgreement(predictionsOf(teacher), predictionsOf(scored)) };
}

function classSummary(errors: ClassErrors, classIndex: number): ClassSummary {
  const { samples, errorPercent } = errors;
  return { samples, errors: errors.errors, errorPercent, classSamples: errors.perClass[classIndex]!.samples, classErrors: errors.perClass[classIndex]!.errors };
}

/** The objective's terms as metrics.json records them (src/distill/terms/objective.ts). */
export { recordedTerms };

export async function runDistillation(run: DistillationRunSpec): Promise<{ metrics: DistillMetrics; model: ModelProto }> {
  const { teacher, student, config, data, files, terms } = run;
  const { train: transferSet, validation, test } = data;
  const { threads, omitClass } = config;
  if (omitClass !== null && !validation) throw new RetortError('BAD_ARGUMENT', 'The omitted-class bias correction needs a validation split to choose the offset on');
  if (config.hintEpochs && !terms) throw new RetortError('BAD_ARGUMENT', 'FitNets hint epochs need an objective of terms with a fitnet term');
  const { stepsPerEpoch, totalSteps } = runSteps(transferSet.length, config);

  // The teacher's test logits: its own errors, and the reference for the student's agreement.
  const teacherStarted = performance.now();
  const teacherDims = modelInputDims(teacher);
  const teacherTest = await logitsOf(teacher, teacherDims === null ? test : reshapeInputs(test, teacherDims), threads);
  const teacherSeconds = (performance.now() - teacherStarted) / 1000;
  const studentTestErrors = async (model: ModelProto): Promise<{ scored: DatasetLogits; errors: TestErrors }> => {
    const scored = await logitsOf(model, test, threads);
    return { scored, errors: testErrors(scored, teacherTest) };
  };

  const trainerConfig: Omit<TrainerConfig, 'loss' | 'maxSteps'> = {
    batchSize: config.batchSize,
    epochs: config.epochs,
    seed: config.seed,
    optimizer: config.optimizer,
    schedule: config.schedule,
    checkpoint: { path: files.checkpoint, everySteps: config.checkpointEvery },
    threads,
    progress: run.progress,
    ...(config.jitter > 0 ? { augmentation: jitterAugmentation(transferSet, config.jitter) } : {}),
    ...(run.masks ? { masks: run.masks } : {}),
  };
  const trainData = { train: transferSet, ...(validation ? { validation } : {}) };
  let stageTwoStudent = student;
  let stageTwoTerms = terms;
  if (config.hintEpochs) {
    // FitNets stage 1 (Romero et al. 2015): hints only, up to the guided layers; no checkpoint of its own.
    const t0 = performance.now();
    const { checkpoint: _checkpoint, ...stageOneConfig } = trainerConfig;
    void _checkpoint;
    const stageOne = await hintPretrain({ teacher, student, data: { train: transferSet }, trainer: { ...stageOneConfig, epochs: config.hintEpochs }, terms: terms!, teacherSignal: config.teacherSignal });
    run.note(`FitNets stage 1: ${stageOne.steps} steps of hint training, last hint loss ${stageOne.lastLoss.toFixed(5)}, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    stageTwoStudent = stageOne.student;
    stageTwoTerms = splitHintTerms(terms!).rest;
  }
  const cacheStarted = performance.now();
  const objective = stageTwoTerms ? { terms: stageTwoTerms } : { kd: { temperature: config.temperature!, alpha: config.alpha! } };
  const opened = await createDistillationTrainer(
    { teacher, student: stageTwoStudent, data: trainData, trainer: trainerConfig, ...objective, teacherSignal: config.teacherSignal },
    run.resume ? files.checkpoint : undefined,
  );
  const { trainer } = opened;
  // Opening the teacher and, when cached, computing its values over the transfer set.
  const cacheSeconds = (performance.now() - cacheStarted) / 1000;
  const resumedFromStep = run.resume ? trainer.step : null;
  const metrics: DistillMetrics = {
    format: 'retort-distill-metrics',
    version: 1,
    status: 'running',
    date: new Date().toISOString(),
    config,
    teacherSignal: opened.teacherSignal,
    teacher: { parameters: parameterCount(new Graph(teacher.graph!)), test: testErrors(teacherTest, teacherTest) },
    student: { parameters: parameterCount(new Graph(student.graph!)), inputDims: [...transferSet.inputDims] },
    data: { name: config.data, transferSet: transferSet.length, omittedSamples: run.omittedSamples, validation: validation?.length ?? 0, test: test.length, inputDims: [...transferSet.inputDims] },
    stepsPerEpoch,
    steps: trainer.step,
    epochs: epochsBefore(run.previous, trainer.step, stepsPerEpoch),
    test: null,
    biasCorrection: null,
    timings: { setupSeconds: 0, teacherSeconds: teacherSeconds + cacheSeconds, trainSeconds: 0, testSeconds: 0, biasCorrectionSeconds: 0, totalSeconds: 0, samplesPerSecond: 0 },
    resumedFromStep,
  };
  metrics.timings.setupSeconds = (performance.now() - run.started) / 1000;
  const timed = async <T>(key: 'testSeconds' | 'biasCorrectionSeconds', work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      metrics.timings[key] += (performance.now() - t0) / 1000;
    }
  };

  let trained: ModelProto;
  try {
    // Each epoch ends with a test pass.
    await trainEpochs({
      trainer,
      totalSteps,
      stepsPerEpoch,
      batchSize: config.batchSize,
      metrics,
      metricsPath: files.metrics,
      onEpoch: async ({ record, result, seconds, samplesPerSecond }) => {
        const { errors } = await timed('testSeconds', () => studentTestErrors(result.model));
        const v = record.validation;
        const validationErrors = v ? v.samples - Math.round(v.accuracy * v.samples) : 0;
        const epoch: DistillEpoch = {
          epoch: record.epoch + 1,
          steps: trainer.step,
          trainLoss: record.trainLoss,
          trainAccuracy: record.trainAccuracy,
          validation: v ? { loss: v.loss, errors: validationErrors, errorPercent: (100 * validationErrors) / v.samples } : null,
          test: { errors: errors.errors, errorPercent: errors.errorPercent, teacherAgreement: errors.teacherAgreement },
          seconds,
          samplesPerSecond,
        };
        run.note(`epoch ${epoch.epoch}: test error ${errors.errors} of ${errors.samples} (${errors.errorPercent.toFixed(2)}%), agreement with the teacher ${(100 * errors.teacherAgreement).toFixed(2)}%, ${seconds.toFixed(1)} s`);
        return epoch;
      },
    });
    trained = trainer.exportModel();
  } finally {
    await opened.close();
  }

  const asTrained = await timed('testSeconds', () => studentTestErrors(trained));
  let final = trained;
  metrics.test = asTrained.errors;
  if (omitClass !== null) {
    // Chosen on the held-out split of the training set (it has the omitted class); the test set only measures.
    const heldOut = await timed('biasCorrectionSeconds', () => logitsOf(trained, validation!, threads));
    const choiceMade = chooseBiasOffset(heldOut, omitClass, offsetGrid(BIAS_GRID.max, BIAS_GRID.step));
    final = withClassBias(trained, omitClass, choiceMade.offset);
    const corrected = await timed('testSeconds', () => studentTestErrors(final));
    const shifted = { classIndex: omitClass, offset: choiceMade.offset };
    metrics.biasCorrection = {
      classIndex: omitClass,
      offset: choiceMade.offset,
      grid: BIAS_GRID,
      errorsByOffset: choiceMade.errorsByOffset,
      validation: { before: classSummary(countErrors(heldOut), omitClass), after: classSummary(countErrors(heldOut, shifted), omitClass) },
      test: {
        before: { ...classSummary(countErrors(asTrained.scored), omitClass), teacherAgreement: asTrained.errors.teacherAgreement },
        after: { ...classSummary(countErrors(corrected.scored), omitClass), teacherAgreement: corrected.errors.teacherAgreement },
      },
    };
    metrics.test = corrected.errors;
    if (files.uncorrectedModel) saveModel(trained, files.uncorrectedModel);
  }
  saveModel(final, files.model);

  metrics.status = trainer.step < config.epochs * stepsPerEpoch ? 'max-steps' : 'complete';
  finishRun(metrics, { metricsPath: files.metrics, started: run.started, batchSize: config.batchSize, resumedFromStep });
  return { metrics, model: final };
}
