/**
 * The `train` stage: what `retort train` does, from a recipe — train a built architecture
 * (`kwargs.arch`) or an ONNX model (the `model` input) on a data entry, one ORT call per step, with
 * a test pass after each epoch — into the stage folder: model.onnx (the inference model) and
 * training.json (what `retort train` writes as metrics.json: per-epoch history, test error, timings,
 * the full config; the runner writes the stage's summary numbers as metrics.json). It checkpoints to
 * ctx.checkpoint and, when an interrupted attempt left one, continues from it to the same result as
 * an uninterrupted run. Both call trainClassifier (src/train/classifierRun.ts); on a text entry,
 * trainLanguageModel (trainText.ts), as `retort train --data text:PATH`.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { modelInputDims } from '../../data/forModel.js';
import { ARCHITECTURE_EXAMPLES, parseArchitecture } from '../../models/spec.js';
import { runSteps, trainClassifier, type RunConfig, type TrainMetrics } from '../../train/classifierRun.js';
import type { RunMetrics } from '../../train/epochLoop.js';
import { modelToTrain, type ModelOrigin } from '../../train/modelSource.js';
import type { ModelProto } from '../../onnx/proto.js';
import { RetortError } from '../../util/errors.js';
import type { ModelInput, StageContext, StageData, StageKind, StageOutput } from '../pipeline/stageKind.js';
import { finishCompressionStage } from './compressionOutput.js';
import { optimizerSchema, runSettingsOf, scheduleSchema } from './fineTuneKwargs.js';
import { resumableRun } from './resumable.js';
import { languageModelStageMetrics, runTextTraining, textOf, textWindowShape } from './trainText.js';

/** The training run's own record, rewritten after every epoch (an interrupted attempt's finished epochs are kept). */
export const TRAINING_FILE = 'training.json';

/** An architecture string, checked by the same parser as `retort train --arch`. */
export const architectureSchema = z.string().superRefine((text, ctx) => {
  try {
    parseArchitecture(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

/** What every training stage (train, distill) takes besides its loss. */
export const trainingShape = {
  epochs: z.number().int().positive().describe('passes over the training split'),
  batchSize: z.number().int().positive().default(128).describe('samples per step (the last partial batch of an epoch is dropped)'),
  optimizer: optimizerSchema.prefault({ key: 'sgd' }).describe('{ key: sgd | adam | adamw, kwargs: { lr, ... } }'),
  schedule: scheduleSchema.prefault({ key: 'cosine' }).describe('learning-rate schedule over the whole run: { key: cosine | step | constant, kwargs }'),
  jitter: z.number().int().min(0).default(0).describe('shift each training image by up to this many pixels each way (Hinton et al. 2015 use 2); 0 for none'),
  maxSteps: z.number().int().positive().optional().describe('stop after this many steps in all (quick runs; the schedule still spans the epochs)'),
  checkpointEvery: z.number().int().positive().optional().describe('steps between checkpoints to ctx.checkpoint; default one per epoch'),
};

const trainKwargsSchema = z.strictObject({
  arch: architectureSchema.optional().describe(`architecture to build when there is no \`model\` input: ${ARCHITECTURE_EXAMPLES}`),
  ...trainingShape,
  clipNorm: z.number().positive().nullable().default(null).describe('clip all gradients together to this global L2 norm; null for none'),
  maxNorm: z.number().positive().nullable().default(null).describe("max-norm constraint (Srivastava et al. 2014): rescale each unit's incoming weights to L2 norm <= this after each update; null for none"),
  patience: z.number().int().positive().nullable().default(null).describe("stop when the validation loss has not improved for this many epochs (needs the data entry's validation split); null for none"),
  ...textWindowShape,
});

export type TrainKwargs = z.infer<typeof trainKwargsSchema>;

/** The model input, or the kwargs' architecture: exactly one of them. */
export function modelOrigin(stage: string, input: ModelInput | undefined, arch: string | undefined, inputName: string): ModelOrigin {
  if ((input === undefined) === (arch === undefined)) {
    throw new RetortError('BAD_ARGUMENT', `${stage}: give exactly one of the \`${inputName}\` input (an ONNX model to train further) or kwargs.arch (an architecture to build)`);
  }
  return input ? { path: input.path, model: input.model } : { arch: parseArchitecture(arch!) };
}

async function runTrainStage(ctx: StageContext, kwargs: TrainKwargs) {
  const started = performance.now();
  const dataInput = ctx.data.data!;
  const text = textOf(dataInput);
  if (text) {
    // A language model on a text entry: trainText.ts.
    const run = await runTextTraining(ctx, kwargs, { name: dataInput.name, text }, modelOrigin('train', ctx.models.model, kwargs.arch, 'model'), { started, recordFile: TRAINING_FILE });
    return finishTrainingStage(ctx, run, undefined, started, languageModelStageMetrics(run.metrics.validation));
  }
  const { model, source } = modelToTrain(modelOrigin('train', ctx.models.model, kwargs.arch, 'model'), ctx.seed);
  const data = dataInput.load(modelInputDims(model));
  if (kwargs.patience !== null && !data.validation) throw new RetortError('BAD_ARGUMENT', `train: kwargs.patience needs a validation split (data entry "${dataInput.name}" kwargs.validation > 0)`);
  const { stepsPerEpoch } = runSteps(data.train.length, { batchSize: kwargs.batchSize, epochs: kwargs.epochs, maxSteps: kwargs.maxSteps ?? null });
  const config: RunConfig = {
    model: source,
    data: dataInput.name,
    limitTrain: null,
    validation: data.validation?.length ?? 0,
    ...runSettingsOf(kwargs, ctx, stepsPerEpoch),
    clipNorm: kwargs.clipNorm,
    maxNorm: kwargs.maxNorm,
    patience: kwargs.patience,
    checkpointEvery: kwargs.checkpointEvery ?? stepsPerEpoch,
    provider: 'cpu',
    ...(kwargs.jitter > 0 ? { jitter: kwargs.jitter } : {}),
  };
  const files = { model: join(ctx.dir, 'model.onnx'), metrics: join(ctx.dir, TRAINING_FILE), checkpoint: ctx.checkpoint };
  const { metrics, model: trained } = await resumableRun<TrainMetrics, Awaited<ReturnType<typeof trainClassifier>>>(ctx, 'train', files.metrics, (reporting) => trainClassifier({ model, config, data, files, ...reporting, started }));
  return finishTrainingStage(ctx, { model: trained, metrics, file: files.metrics }, data, started);
}

/**
 * The end of a training stage: model.onnx measured like every stage's model (finishCompressionStage),
 * the run's own numbers first, and its record (training.json) among the artifacts.
 */
export async function finishTrainingStage(
  ctx: StageContext,
  run: { model: ModelProto; metrics: RunMetrics & Pick<TrainMetrics, 'status' | 'resumedFromStep'>; file: string },
  /** Scores the model on its test split; undefined for text data (the caller's `extra` has the validation loss). */
  data: StageData | undefined,
  started: number,
  extra: Record<string, unknown> = {},
): Promise<StageOutput> {
  const { metrics } = run;
  const output = await finishCompressionStage(ctx, run.model, {
    data,
    started,
    extra: { status: metrics.status, steps: metrics.steps, epochs: metrics.epochs.length, resumedFromStep: metrics.resumedFromStep, trainSeconds: metrics.timings.trainSeconds, ...extra },
  });
  return { artifacts: { ...output.artifacts, training: run.file }, metrics: output.metrics };
}

export const trainStage: StageKind<TrainKwargs> = {
  key: 'train',
  summary: 'Train a built architecture (kwargs.arch) or an ONNX model (input `model`) on a data entry (classes, or a text file for a gpt language model), as `retort train` does; checkpoints and resumes exactly',
  inputs: [
    { name: 'model', kind: 'model', required: false, description: 'an ONNX classifier (first input: the samples, first output: the logits) or language model (token ids in, logits out) to train further; else kwargs.arch is built' },
    { name: 'data', kind: 'data', required: true, description: "the data entry: its training split (and validation split, if it holds one out) trains, its test split scores each epoch; a text entry trains a language model on random windows, its validation tokens score each epoch" },
  ],
  outputs: ['model', 'training'],
  kwargs: trainKwargsSchema,
  run: runTrainStage,
};
