/**
 * One run of training a language model on a text corpus into a folder, as `retort train --data
 * text:PATH` does it: the Trainer on random token windows (from the checkpoint when resuming), one
 * fit() per epoch with the validation loss (nats/token), perplexity and bits/token after each, and
 * metrics.json rewritten after every fit(); at the end the inference model with its tokenizer (and,
 * for a model of dynamic length, its context) in the ONNX metadata, the same vocabulary as
 * MODEL.vocab.json beside it, and the final metrics.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadTextFile, type TextCorpus, type TokenSequence } from '../data/text/corpus.js';
import { checkVocabulary, languageModelIo, windowLength, withContextMetadata } from '../data/text/forLanguageModel.js';
import { tokenizerFromSpec, type Tokenizer, type TokenizerKind, type TokenizerSpec } from '../data/text/tokenizer.js';
import { loadVocab, saveVocab, tokenizerFromMetadata, vocabPathFor, withTokenizerMetadata } from '../data/text/vocab.js';
import { buildArchitecture, formatArchitecture } from '../models/spec.js';
import { Graph } from '../onnx/graph.js';
import { loadModel, saveModel } from '../onnx/model.js';
import { parameterCount } from '../onnx/parameters.js';
import type { ModelProto } from '../onnx/proto.js';
import { RetortError } from '../util/errors.js';
import { epochsBefore, finishRun, trainEpochs, writeMetrics, type RunMetrics } from './epochLoop.js';
import type { LanguageModelEvaluation } from './evaluateLanguageModel.js';
import { maxNormConstraints } from './maxNormConstraints.js';
import { sha256, type ModelOrigin, type ModelSource } from './modelSource.js';
import type { ProgressMode } from './progress.js';
import type { RecordedTrainingSettings } from './runSettings.js';
import { Trainer, type EpochRecord, type LanguageModelData, type TrainerConfig } from './trainer.js';

/** Everything that decides the run, as recorded in metrics.json. */
export interface LanguageModelRunConfig extends RecordedTrainingSettings {
  model: ModelSource;
  /** The data as given, `text:PATH`. */
  data: string;
  tokenizer: TokenizerKind;
  /** Window length T: the model reads T tokens and predicts the next one at each. */
  context: number;
  validationFraction: number;
  /** Only the first n tokens of the text (quick runs), or null for all. */
  limitTokens: number | null;
  /** Batches of random windows per epoch. */
  stepsPerEpoch: number;
}

/** Next-token quality on the validation tokens. */
export interface LanguageModelSummary {
  /** Mean cross-entropy, nats per token. */
  loss: number;
  perplexity: number;
  /** loss / ln 2: bits per character for a char tokenizer, per byte for a byte tokenizer. */
  bitsPerToken: number;
  /** Next-token top-1 accuracy. */
  accuracy: number;
  tokens: number;
}

export interface LanguageModelEpochMetrics {
  epoch: number;
  steps: number;
  trainLoss: number;
  trainAccuracy: number;
  validation: LanguageModelSummary | null;
  /** Wall time of the epoch's training steps and its validation pass. */
  seconds: number;
  samplesPerSecond: number;
  tokensPerSecond: number;
}

export interface LanguageModelMetrics {
  format: 'retort-train-metrics';
  version: 1;
  task: 'languageModeling';
  status: 'running' | 'complete' | 'max-steps' | 'early-stopped';
  date: string;
  config: LanguageModelRunConfig;
  seed: number;
  model: { parameters: number; context: number; vocabSize: number };
  data: { name: string; tokenizer: TokenizerKind; vocabSize: number; trainTokens: number; validationTokens: number };
  stepsPerEpoch: number;
  steps: number;
  epochs: LanguageModelEpochMetrics[];
  /** Of the final model. */
  validation: LanguageModelSummary | null;
  timings: { setupSeconds: number; trainSeconds: number; totalSeconds: number; samplesPerSecond: number; tokensPerSecond: number };
  resumedFromStep: number | null;
}

export interface LanguageModelRun {
  model: ModelProto;
  config: LanguageModelRunConfig;
  corpus: TextCorpus;
  files: { model: string; vocab: string; metrics: string; checkpoint: string };
  resume: boolean;
  previous: LanguageModelMetrics | null;
  progress: ProgressMode;
  note: (line: string) => void;
  /** performance.now() when the run's setup began. */
  started: number;
}

export interface LanguageModelSetup {
  origin: ModelOrigin;
  textPath: string;
  /** Default: the vocabulary the model carries (fine-tuning keeps it), else 'char'. */
  tokenizer?: TokenizerKind;
  validationFraction: number;
  limitTokens: number | null;
  /** Window length; default the model's context (a fixed sequence length, its metadata, or the architecture's). */
  context: number | null;
  seed: number;
  /**
   * Tokenizes the text with a kind (a char vocabulary read off the whole text) or a model's own
   * tokenizer; default loadTextFile(textPath) with validationFraction and limitTokens. A recipe's
   * text entry gives its own (its limits cut each split).
   */
  loadCorpus?: (tokenizer: TokenizerKind | Tokenizer) => TextCorpus;
}

/**
 * The model and corpus of a run: a file keeps the tokenizer it carries (metadata or MODEL.vocab.json);
 * an architecture is built for the corpus's vocabulary. Checks the window fits the model and the
 * tokenizer's ids fit its logits.
 */
export function prepareLanguageModel(setup: LanguageModelSetup): { model: ModelProto; source: ModelSource; corpus: TextCorpus; context: number; tokenizer: TokenizerKind } {
  const options = { validationFraction: setup.validationFraction, ...(setup.limitTokens !== null ? { limit: setup.limitTokens } : {}) };
  const load = setup.loadCorpus ?? ((tokenizer: TokenizerKind | Tokenizer) => loadTextFile(setup.textPath, { ...options, tokenizer }));
  if ('arch' in setup.origin) {
    const { arch } = setup.origin;
    const corpus = load(setup.tokenizer ?? 'char');
    const model = buildArchitecture(arch, { seed: setup.seed, vocabSize: corpus.tokenizer.vocabSize });
    const io = languageModelIo(model, `architecture ${formatArchitecture(arch)}`);
    const archContext = 'context' in arch ? arch.context : null;
    const context = windowLength({ ...io, context: io.context ?? archContext }, setup.context, `architecture ${formatArchitecture(arch)}`);
    return { model, source: { source: 'arch', arch: formatArchitecture(arch) }, corpus, context, tokenizer: corpus.tokenizer.spec.kind };
  }
  const path = resolve(setup.origin.path);
  const model = setup.origin.model ?? loadModel(path);
  const io = languageModelIo(model, path);
  const carried = carriedTokenizer(model, path);
  if (carried && setup.tokenizer && carried.kind !== setup.tokenizer) {
    throw new RetortError('BAD_ARGUMENT', `${path} carries a ${carried.kind} tokenizer; it cannot be trained with a ${setup.tokenizer} one`);
  }
  const corpus = load(carried ? tokenizerFromSpec(carried) : setup.tokenizer ?? 'char');
  checkVocabulary(io, corpus.tokenizer.vocabSize, path);
  const context = windowLength(io, setup.context, path);
  return { model, source: { source: 'file', path, sha256: sha256(path) }, corpus, context, tokenizer: corpus.tokenizer.spec.kind };
}

/** The tokenizer a model file carries in its metadata or beside it, or null. */
export function carriedTokenizer(model: ModelProto, path: string): TokenizerSpec | null {
  const beside = vocabPathFor(path);
  return tokenizerFromMetadata(model, path) ?? (existsSync(beside) ? loadVocab(beside) : null);
}

export function summarizeLanguageModel(evaluation: LanguageModelEvaluation): LanguageModelSummary {
  return { loss: evaluation.loss, perplexity: evaluation.perplexity, bitsPerToken: evaluation.bitsPerToken, accuracy: evaluation.accuracy, tokens: evaluation.samples };
}

/** The Trainer's record of an epoch as metrics.json keeps it: losses, validation loss and perplexity, throughput. */
export function languageModelEpoch(record: EpochRecord, at: { steps: number; seconds: number; samplesPerSecond: number; context: number }): LanguageModelEpochMetrics {
  return {
    epoch: record.epoch + 1,
    steps: at.steps,
    trainLoss: record.trainLoss,
    trainAccuracy: record.trainAccuracy,
    validation: record.validation ? summarizeLanguageModel(record.validation as LanguageModelEvaluation) : null,
    seconds: at.seconds,
    samplesPerSecond: at.samplesPerSecond,
    tokensPerSecond: at.samplesPerSecond * at.context,
  };
}

/** The Trainer's settings of a run (a distillation run's config has no maxNorm or patience). */
export function languageModelTrainerConfig(
  config: Omit<LanguageModelRunConfig, 'model' | 'maxNorm' | 'patience'> & Partial<Pick<LanguageModelRunConfig, 'maxNorm' | 'patience'>>,
  model: ModelProto,
  checkpointPath: string,
  progress: ProgressMode,
): TrainerConfig {
  return {
    batchSize: config.batchSize,
    epochs: config.epochs,
    seed: config.seed,
    optimizer: config.optimizer,
    schedule: config.schedule,
    ...(config.clipNorm !== null ? { clipGlobalNorm: config.clipNorm } : {}),
    ...(config.maxNorm != null ? { maxNorm: maxNormConstraints(model, config.maxNorm) } : {}),
    ...(config.patience != null ? { earlyStopping: { patience: config.patience, metric: 'loss' as const } } : {}),
    checkpoint: { path: checkpointPath, everySteps: config.checkpointEvery },
    threads: config.threads,
    progress,
  };
}

/** What a language-model run's epoch loop keeps up to date in its metrics. */
export interface LanguageModelRunMetrics extends RunMetrics {
  epochs: LanguageModelEpochMetrics[];
  validation: LanguageModelSummary | null;
  timings: RunMetrics['timings'] & { tokensPerSecond: number };
}

export interface LanguageModelEpochLoop<M extends LanguageModelRunMetrics> {
  totalSteps: number;
  stepsPerEpoch: number;
  batchSize: number;
  context: number;
  metrics: M;
  files: { model: string; vocab: string; metrics: string };
  validation: TokenSequence | null;
  tokenizer: TokenizerSpec;
  note: (line: string) => void;
}

/**
 * Trains to `totalSteps` one epoch at a time, with the validation loss (nats/token) and perplexity
 * after each; then the final model's validation (the last epoch's when that epoch ended the run),
 * and the model saved with its tokenizer and context (saveLanguageModel). `trainer` stays open.
 */
export async function languageModelEpochs<M extends LanguageModelRunMetrics>(trainer: Trainer, loop: LanguageModelEpochLoop<M>): Promise<{ stoppedEarly: boolean; model: ModelProto }> {
  const { metrics, context, validation } = loop;
  const { stoppedEarly } = await trainEpochs({
    trainer,
    totalSteps: loop.totalSteps,
    stepsPerEpoch: loop.stepsPerEpoch,
    batchSize: loop.batchSize,
    metrics,
    metricsPath: loop.files.metrics,
    onEpoch: async ({ record, seconds, samplesPerSecond }) => {
      const epoch = languageModelEpoch(record, { steps: trainer.step, seconds, samplesPerSecond, context });
      const v = epoch.validation;
      loop.note(`epoch ${epoch.epoch}: ${v ? `validation loss ${v.loss.toFixed(4)} nats/token, perplexity ${v.perplexity.toFixed(2)}, ` : ''}${seconds.toFixed(1)} s, ${Math.round(epoch.tokensPerSecond)} tokens/s`);
      return epoch;
    },
  });
  const last = metrics.epochs.at(-1);
  if (validation) {
    metrics.validation = last && last.steps === trainer.step ? last.validation : summarizeLanguageModel((await trainer.evaluate(validation)) as LanguageModelEvaluation);
  }
  return { stoppedEarly, model: saveLanguageModel(trainer.exportModel(), loop.files, loop.tokenizer, context) };
}

/**
 * A trained language model with its tokenizer and (for a dynamic sequence length) its context in the
 * ONNX metadata, saved to files.model with the same vocabulary as MODEL.vocab.json beside it.
 */
export function saveLanguageModel(trained: ModelProto, files: { model: string; vocab: string }, tokenizer: TokenizerSpec, context: number): ModelProto {
  const model = withContextMetadata(withTokenizerMetadata(trained, tokenizer), context);
  saveModel(model, files.model);
  saveVocab(files.vocab, tokenizer);
  return model;
}

/** Total time and throughput (tokens/s as well) of the steps this invocation trained, then the last metrics file. */
export function finishLanguageModelRun(metrics: LanguageModelRunMetrics, run: { metricsPath: string; started: number; batchSize: number; resumedFromStep: number | null; context: number }): void {
  finishRun(metrics, run);
  metrics.timings.tokensPerSecond = metrics.timings.samplesPerSecond * run.context;
  writeMetrics(run.metricsPath, metrics);
}

export async function trainLanguageModel(run: LanguageModelRun): Promise<{ metrics: LanguageModelMetrics; model: ModelProto }> {
  const { model, config, corpus, files } = run;
  const { stepsPerEpoch, context } = config;
  const totalSteps = Math.min(config.maxSteps ?? Infinity, config.epochs * stepsPerEpoch);
  const data: LanguageModelData = { kind: 'languageModeling', train: corpus.train, ...(corpus.validation ? { validation: corpus.validation } : {}), context, stepsPerEpoch };
  const trainer = await Trainer.create(model, languageModelTrainerConfig(config, model, files.checkpoint, run.progress), data, run.resume ? { resumeFrom: files.checkpoint } : {});
  const resumedFromStep = run.resume ? trainer.step : null;
  const vocabSize = corpus.tokenizer.vocabSize;
  const metrics: LanguageModelMetrics = {
    format: 'retort-train-metrics',
    version: 1,
    task: 'languageModeling',
    status: 'running',
    date: new Date().toISOString(),
    config,
    seed: config.seed,
    model: { parameters: parameterCount(new Graph(model.graph!)), context, vocabSize },
    data: { name: config.data, tokenizer: config.tokenizer, vocabSize, trainTokens: corpus.train.length, validationTokens: corpus.validation?.length ?? 0 },
    stepsPerEpoch,
    steps: trainer.step,
    epochs: epochsBefore(run.previous, trainer.step, stepsPerEpoch),
    validation: null,
    timings: { setupSeconds: (performance.now() - run.started) / 1000, trainSeconds: 0, totalSeconds: 0, samplesPerSecond: 0, tokensPerSecond: 0 },
    resumedFromStep,
  };

  let result: { stoppedEarly: boolean; model: ModelProto };
  try {
    result = await languageModelEpochs(trainer, { totalSteps, stepsPerEpoch, batchSize: config.batchSize, context, metrics, files, validation: corpus.validation, tokenizer: corpus.tokenizer.spec, note: run.note });
  } finally {
    await trainer.dispose();
  }
  metrics.status = result.stoppedEarly ? 'early-stopped' : trainer.step < config.epochs * stepsPerEpoch ? 'max-steps' : 'complete';
  finishLanguageModelRun(metrics, { metricsPath: files.metrics, started: run.started, batchSize: config.batchSize, resumedFromStep, context });
  return { metrics, model: result.model };
}
