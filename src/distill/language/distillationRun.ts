/**
 * One run of language-model distillation into a folder, as `retort distill --data text:PATH` and the
 * recipe stage `distill` on a text entry do it: the teacher's validation loss once (the reference),
 * then the student trained by one of three methods —
 *
 *   token-level     the terms (token-level forward/reverse KL and cross-entropy, tokenKd.ts) on random
 *                   windows of the real text, the teacher run on every batch;
 *   on-policy       the same terms on the student's own samples in a `fraction` of the rounds
 *                   (GKD, Agarwal et al. 2024; MiniLLM's single-step term, Gu et al. 2024; onPolicy.ts);
 *   sequence-level  the terms (usually cross-entropy alone) on text the teacher sampled once before
 *                   training (Kim & Rush 2016; sequenceKd.ts) —
 *
 * from the checkpoint when resuming, with the validation loss (nats/token) and perplexity after each
 * epoch, and at the end the student with its tokenizer and context in the ONNX metadata, the same
 * vocabulary beside it, and metrics.json (rewritten after every epoch of the token-level and
 * sequence-level methods, at the end of an on-policy run).
 */
import type { TokenSequence } from '../../data/text/corpus.js';
import type { TokenizerKind } from '../../data/text/tokenizer.js';
import { Graph } from '../../onnx/graph.js';
import { encodeModel } from '../../onnx/model.js';
import { parameterCount } from '../../onnx/parameters.js';
import type { ModelProto } from '../../onnx/proto.js';
import { epochsBefore, writeMetrics } from '../../train/epochLoop.js';
import { evaluateLanguageModelBytes } from '../../train/evaluateLanguageModel.js';
import {
  finishLanguageModelRun,
  languageModelEpoch,
  languageModelEpochs,
  languageModelTrainerConfig,
  saveLanguageModel,
  summarizeLanguageModel,
  type LanguageModelEpochMetrics,
  type LanguageModelRunConfig,
  type LanguageModelSummary,
} from '../../train/languageModelRun.js';
import type { ProgressMode } from '../../train/progress.js';
import type { LanguageModelData } from '../../train/trainer.js';
import { RetortError } from '../../util/errors.js';
import { createDistillationTrainer } from '../distill.js';
import type { RecordedTerm } from '../terms/objective.js';
import type { WeightedTerm } from '../terms/types.js';
import { distillOnPolicy } from './onPolicy.js';
import { generateTeacherCorpus, sequenceKdData } from './sequenceKd.js';
import type { PreparedLanguageDistillation } from './distillationSetup.js';
import type { LanguageStudentRecord } from './student.js';

export const LANGUAGE_DISTILL_METHODS = ['token-level', 'on-policy', 'sequence-level'] as const;

/** How the student's training windows are made; every field is recorded (and checked on resume). */
export type LanguageDistillMethod =
  | { kind: 'token-level' }
  | {
      kind: 'on-policy';
      /** Steps per round; the student samples a fresh pool at the start of each on-policy round. */
      every: number;
      /** Share of rounds on the student's samples (GKD's lambda); the rest train on real text. */
      fraction: number;
      poolSize: number;
      /** Real tokens each sampled sequence continues. */
      promptLength: number;
      temperature: number;
      topK: number | null;
    }
  | {
      kind: 'sequence-level';
      /** Tokens the teacher samples (rounded up to whole sequences of context + 1). */
      tokens: number;
      promptLength: number;
      temperature: number;
      topK: number | null;
    };

/** The options of a method as a command line or a recipe gives them; `languageDistillMethod` fills in the defaults. */
export type LanguageDistillChoice =
  | { kind: 'token-level' }
  | { kind: 'on-policy'; every: number; fraction?: number; poolSize?: number | null; promptLength?: number; temperature?: number; topK?: number | null }
  | { kind: 'sequence-level'; tokens: number; promptLength?: number; temperature?: number; topK?: number | null };

/** Defaults: all rounds on-policy, a pool of one batch, one-token prompts, temperature 1 (the model's own distribution), no top-k. */
export function languageDistillMethod(choice: LanguageDistillChoice, batchSize: number): LanguageDistillMethod {
  switch (choice.kind) {
    case 'token-level':
      return { kind: 'token-level' };
    case 'on-policy':
      return { kind: 'on-policy', every: choice.every, fraction: choice.fraction ?? 1, poolSize: choice.poolSize ?? batchSize, promptLength: choice.promptLength ?? 1, temperature: choice.temperature ?? 1, topK: choice.topK ?? null };
    case 'sequence-level':
      return { kind: 'sequence-level', tokens: choice.tokens, promptLength: choice.promptLength ?? 1, temperature: choice.temperature ?? 1, topK: choice.topK ?? null };
  }
}

/** Steps between checkpoints by default: one epoch, rounded up to whole on-policy rounds (checkpoints fall on round boundaries). */
export function defaultCheckpointEvery(method: LanguageDistillMethod, stepsPerEpoch: number): number {
  return method.kind === 'on-policy' ? Math.ceil(stepsPerEpoch / method.every) * method.every : stepsPerEpoch;
}

/**
 * Everything that decides the run, as recorded in metrics.json: a language-model training run's
 * settings (languageModelRun.ts; `data` is `text:PATH` or a recipe's data entry name) with the
 * teacher, the student, the objective's terms and the method in place of the model.
 */
export interface LanguageDistillConfig extends Omit<LanguageModelRunConfig, 'model' | 'maxNorm' | 'patience'> {
  teacher: { path: string; sha256: string };
  student: LanguageStudentRecord;
  terms: RecordedTerm[];
  method: LanguageDistillMethod;
  /** The student's zero weights were kept as masks (a pruned student stays pruned). */
  keepSparsity?: true;
}

/** What the method did beyond training: rounds and samples (on-policy; of this invocation), or the teacher's text. */
export type LanguageMethodReport =
  | { kind: 'token-level' }
  | { kind: 'on-policy'; rounds: number; onPolicyRounds: number; sampledTokens: number; samplingSeconds: number }
  | { kind: 'sequence-level'; sequences: number; sequenceLength: number; sampledTokens: number; seconds: number };

export interface LanguageDistillMetrics {
  format: 'retort-distill-metrics';
  version: 1;
  task: 'languageModeling';
  status: 'running' | 'complete' | 'max-steps';
  date: string;
  config: LanguageDistillConfig;
  teacher: { parameters: number; validation: LanguageModelSummary | null };
  /** parameterRatio: student parameters / teacher parameters. */
  student: { parameters: number; parameterRatio: number };
  data: { name: string; tokenizer: TokenizerKind; tokenizerSource: string; vocabSize: number; trainTokens: number; validationTokens: number };
  method: LanguageMethodReport;
  stepsPerEpoch: number;
  steps: number;
  epochs: LanguageModelEpochMetrics[];
  /** Of the final student. */
  validation: LanguageModelSummary | null;
  timings: { setupSeconds: number; teacherSeconds: number; trainSeconds: number; totalSeconds: number; samplesPerSecond: number; tokensPerSecond: number };
  resumedFromStep: number | null;
}

export interface LanguageDistillationRun {
  teacher: ModelProto;
  /** The corpus in the teacher's tokens, the student, where the tokenizer was found (distillationSetup.ts). */
  prepared: PreparedLanguageDistillation;
  config: LanguageDistillConfig;
  /** The objective; config.terms records it. */
  terms: WeightedTerm[];
  files: { model: string; vocab: string; metrics: string; checkpoint: string };
  /** Pruning masks by parameter name (1 keeps), kept in the training graph in every method's steps. */
  masks?: ReadonlyMap<string, Float32Array>;
  resume: boolean;
  /** The metrics of the run being resumed (its finished epochs are kept), or null. */
  previous: LanguageDistillMetrics | null;
  progress: ProgressMode;
  note: (line: string) => void;
  /** performance.now() when the run's setup began. */
  started: number;
}

const parameters = (model: ModelProto): number => parameterCount(new Graph(model.graph!));

async function validationOf(model: ModelProto, validation: TokenSequence, config: LanguageDistillConfig, name: string): Promise<LanguageModelSummary> {
  const e = await evaluateLanguageModelBytes(encodeModel(model), validation, { context: config.context, batchSize: 32, threads: config.threads, name });
  return summarizeLanguageModel(e);
}

/** Problems a run would only meet later (a checkpoint inside an on-policy round), all at once. */
function checkConfig(config: LanguageDistillConfig): void {
  const problems: string[] = [];
  const { method } = config;
  if (method.kind === 'on-policy') {
    if (config.checkpointEvery % method.every !== 0) problems.push(`checkpoints every ${config.checkpointEvery} steps: on-policy runs checkpoint at round boundaries, so give a multiple of every (${method.every})`);
    if (config.maxSteps !== null && config.maxSteps % method.every !== 0) problems.push(`max steps ${config.maxSteps}: an on-policy run stops (and resumes) at round boundaries, so give a multiple of every (${method.every})`);
  }
  if (config.terms.length === 0) problems.push('the objective has no terms');
  if (problems.length > 0) throw new RetortError('BAD_ARGUMENT', `Language-model distillation: ${problems.join('; ')}`);
}

export async function runLanguageDistillation(run: LanguageDistillationRun): Promise<{ metrics: LanguageDistillMetrics; model: ModelProto }> {
  const { teacher, config, files } = run;
  const { corpus, student } = run.prepared;
  checkConfig(config);
  const { context, stepsPerEpoch, method } = config;
  const totalSteps = Math.min(config.maxSteps ?? Infinity, config.epochs * stepsPerEpoch);
  const validation = corpus.validation ?? undefined;
  const data: LanguageModelData = { kind: 'languageModeling', train: corpus.train, ...(validation ? { validation } : {}), context, stepsPerEpoch };
  const masked = run.masks && run.masks.size > 0 ? { masks: run.masks } : {};
  const trainerConfig = { ...languageModelTrainerConfig(config, student, files.checkpoint, run.progress), ...masked };

  // The teacher's own validation loss: the reference the student is measured against.
  const teacherStarted = performance.now();
  const teacherValidation = validation ? await validationOf(teacher, validation, config, 'teacher') : null;
  if (teacherValidation) run.note(`teacher: validation loss ${teacherValidation.loss.toFixed(4)} nats/token, perplexity ${teacherValidation.perplexity.toFixed(2)}`);
  const metrics: LanguageDistillMetrics = {
    format: 'retort-distill-metrics',
    version: 1,
    task: 'languageModeling',
    status: 'running',
    date: new Date().toISOString(),
    config,
    teacher: { parameters: parameters(teacher), validation: teacherValidation },
    student: { parameters: parameters(student), parameterRatio: parameters(student) / parameters(teacher) },
    data: { name: config.data, tokenizer: corpus.tokenizer.spec.kind, tokenizerSource: run.prepared.tokenizerSource, vocabSize: corpus.tokenizer.vocabSize, trainTokens: corpus.train.length, validationTokens: validation?.length ?? 0 },
    method: { kind: 'token-level' },
    stepsPerEpoch,
    steps: 0,
    epochs: [],
    validation: null,
    timings: { setupSeconds: 0, teacherSeconds: (performance.now() - teacherStarted) / 1000, trainSeconds: 0, totalSeconds: 0, samplesPerSecond: 0, tokensPerSecond: 0 },
    resumedFromStep: null,
  };
  const resumeFrom = run.resume ? files.checkpoint : undefined;
  const distillation = { teacher, student, trainer: trainerConfig, terms: run.terms };

  let model: ModelProto;
  let steps: number;
  if (method.kind === 'on-policy') {
    // The rounds are distillOnPolicy's loop; the epochs come from the Trainer's history (kept in checkpoints).
    metrics.timings.setupSeconds = (performance.now() - run.started) / 1000;
    writeMetrics(files.metrics, metrics);
    const t0 = performance.now();
    const { every, fraction, poolSize, promptLength, temperature, topK } = method;
    const trainer = config.maxSteps !== null ? { ...trainerConfig, maxSteps: config.maxSteps } : trainerConfig;
    const result = await distillOnPolicy(
      { ...distillation, trainer, data, onPolicy: { every, fraction, poolSize, promptLength, sampling: { temperature, ...(topK !== null ? { topK } : {}) } } },
      resumeFrom,
    );
    metrics.timings.trainSeconds = (performance.now() - t0) / 1000;
    metrics.resumedFromStep = result.resumedFromStep;
    metrics.method = { kind: 'on-policy', rounds: result.rounds, onPolicyRounds: result.onPolicyRounds, sampledTokens: result.sampledTokens, samplingSeconds: result.samplingSeconds };
    metrics.epochs = result.history.map((record) => languageModelEpoch(record, { steps: (record.epoch + 1) * stepsPerEpoch, seconds: NaN, samplesPerSecond: NaN, context }));
    steps = result.steps;
    const last = metrics.epochs.at(-1);
    metrics.validation = last && last.steps === steps ? last.validation : validation ? await validationOf(result.model, validation, config, 'student') : null;
    model = saveLanguageModel(result.model, files, corpus.tokenizer.spec, context);
  } else {
    let windows = data;
    if (method.kind === 'sequence-level') {
      const t0 = performance.now();
      // Seeded, so a resumed run samples the same text again rather than storing it.
      const text = await generateTeacherCorpus(teacher, {
        tokens: method.tokens,
        prompts: corpus.train,
        promptLength: method.promptLength,
        temperature: method.temperature,
        ...(method.topK !== null ? { topK: method.topK } : {}),
        seed: config.seed,
        context,
        threads: config.threads,
      });
      windows = sequenceKdData(data, text, config.seed);
      metrics.method = { kind: 'sequence-level', sequences: text.count, sequenceLength: text.length, sampledTokens: text.sampledTokens, seconds: text.seconds };
      metrics.timings.teacherSeconds += (performance.now() - t0) / 1000;
      run.note(`sequence-level KD: the teacher sampled ${text.sampledTokens} tokens (${text.count} sequences of ${text.length}) in ${text.seconds.toFixed(1)} s`);
    }
    const opened = await createDistillationTrainer({ ...distillation, data: windows }, resumeFrom);
    const { trainer } = opened;
    metrics.resumedFromStep = run.resume ? trainer.step : null;
    metrics.steps = trainer.step;
    metrics.epochs = epochsBefore(run.previous, trainer.step, stepsPerEpoch);
    metrics.timings.setupSeconds = (performance.now() - run.started) / 1000;
    try {
      const { tokenizer } = corpus;
      model = (await languageModelEpochs(trainer, { totalSteps, stepsPerEpoch, batchSize: config.batchSize, context, metrics, files, validation: corpus.validation, tokenizer: tokenizer.spec, note: run.note })).model;
      steps = trainer.step;
    } finally {
      await opened.close();
    }
  }

  metrics.steps = steps;
  metrics.status = steps < config.epochs * stepsPerEpoch ? 'max-steps' : 'complete';
  finishLanguageModelRun(metrics, { metricsPath: files.metrics, started: run.started, batchSize: config.batchSize, resumedFromStep: metrics.resumedFromStep, context });
  return { metrics, model };
}
