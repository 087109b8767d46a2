/**
 * The `distill` stage on a text entry: a language-model student (the `student` input, a built
 * `gpt:...` architecture, or a subset of the teacher's layers) distilled from the `teacher` input on
 * the objective's terms — token-level forward/reverse KL with cross-entropy, on windows of the text,
 * on the student's own samples (`onPolicy`) or on text the teacher sampled (`sequenceKd`) — as
 * `retort distill --data text:PATH` does it: both call runLanguageDistillation
 * (src/distill/language/distillationRun.ts). model.onnx carries the teacher's tokenizer.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { vocabPathFor } from '../../data/text/vocab.js';
import { languageModelStepsPerEpoch } from '../../data/text/windows.js';
import { defaultCheckpointEvery, languageDistillMethod, runLanguageDistillation, type LanguageDistillChoice, type LanguageDistillConfig, type LanguageDistillMetrics } from '../../distill/language/distillationRun.js';
import { prepareLanguageDistillation } from '../../distill/language/distillationSetup.js';
import type { LanguageStudentOrigin } from '../../distill/language/student.js';
import { recordedTerms } from '../../distill/terms/objective.js';
import type { WeightedTerm } from '../../distill/terms/types.js';
import type { ModelProto } from '../../onnx/proto.js';
import { masksFromZeros } from '../../prune/zeroMasks.js';
import { sha256 } from '../../train/modelSource.js';
import { RetortError } from '../../util/errors.js';
import type { StageContext, TextDataInput } from '../pipeline/stageKind.js';
import { runSettingsOf } from './fineTuneKwargs.js';
import { resumableRun } from './resumable.js';
import { languageModelStageMetrics, textWindowShape, type TextTrainKwargs } from './trainText.js';

const sampling = {
  promptLength: z.number().int().positive().default(1).describe('tokens of real text (from seeded places of the training split) each sampled sequence continues'),
  temperature: z.number().min(0).default(1).describe('sampling temperature (1: the model\'s own distribution; 0: greedy)'),
  topK: z.number().int().positive().nullable().default(null).describe('sample among the k most likely tokens only; null for all'),
};

/** What the distill stage takes for text data only. */
export const textDistillShape = {
  ...textWindowShape,
  clipNorm: z.number().positive().nullable().default(null).describe('text data: clip all gradients together to this global L2 norm; null for none'),
  studentFromTeacherLayers: z
    .union([z.literal('every-other'), z.array(z.number().int().min(0)).min(1)])
    .optional()
    .describe("text data: the student is these blocks of the teacher (with its embeddings, final norm and head): every-other (DistilBERT's 0, 2, 4, ...) or a list; instead of the `student` input or arch"),
  onPolicy: z
    .strictObject({
      every: z.number().int().positive().describe('steps per round; an on-policy round starts by sampling a fresh pool from the student'),
      fraction: z.number().min(0).max(1).default(1).describe("share of rounds on the student's samples (GKD's lambda); the others train on real text"),
      poolSize: z.number().int().positive().nullable().default(null).describe('sequences sampled per on-policy round; null: the batch size'),
      ...sampling,
    })
    .optional()
    .describe("text data: train on the student's own samples, scored by the teacher at every position (GKD, Agarwal et al. 2024; MiniLLM's single-step term)"),
  sequenceKd: z
    .strictObject({ tokens: z.number().int().positive().describe('tokens the teacher samples once before training'), ...sampling })
    .optional()
    .describe('text data: sequence-level KD (Kim & Rush 2016): the terms run on text the teacher sampled (give terms: [{ key: ce }] for the black-box case)'),
};

/** The distill stage's kwargs this branch reads. */
export interface TextDistillKwargs extends Omit<TextTrainKwargs, 'maxNorm' | 'patience'> {
  arch?: string | undefined;
  terms: unknown;
  keepSparsity: boolean;
  teacherSignal: string;
  hintEpochs: number;
  ensemble?: unknown;
  studentFromTeacherLayers?: 'every-other' | number[] | undefined;
  onPolicy?: { every: number; fraction: number; poolSize: number | null; promptLength: number; temperature: number; topK: number | null } | undefined;
  sequenceKd?: { tokens: number; promptLength: number; temperature: number; topK: number | null } | undefined;
}

/** Kwargs that only one kind of data takes, checked where the kind is known (at run time). */
export function checkTextDistillKwargs(k: Pick<TextDistillKwargs, 'arch' | 'studentFromTeacherLayers' | 'onPolicy' | 'sequenceKd'>, ctx: z.RefinementCtx): void {
  if (k.onPolicy && k.sequenceKd) ctx.addIssue({ code: 'custom', path: ['sequenceKd'], message: 'give at most one of onPolicy and sequenceKd' });
  if (k.arch !== undefined && k.studentFromTeacherLayers !== undefined) ctx.addIssue({ code: 'custom', path: ['studentFromTeacherLayers'], message: 'give at most one of arch and studentFromTeacherLayers' });
}

function studentOrigin(ctx: StageContext, kwargs: TextDistillKwargs): LanguageStudentOrigin {
  const input = ctx.models.student;
  const given = [input, kwargs.arch, kwargs.studentFromTeacherLayers].filter((x) => x !== undefined).length;
  if (given !== 1) throw new RetortError('BAD_ARGUMENT', 'distill: give exactly one of the `student` input, kwargs.arch (gpt:...) or kwargs.studentFromTeacherLayers');
  if (input) return { kind: 'file', path: input.path, model: input.model };
  if (kwargs.arch !== undefined) return { kind: 'arch', arch: kwargs.arch };
  return { kind: 'teacher-layers', layers: kwargs.studentFromTeacherLayers! };
}

function methodChoice(kwargs: TextDistillKwargs): LanguageDistillChoice {
  if (kwargs.onPolicy) return { kind: 'on-policy', ...kwargs.onPolicy };
  if (kwargs.sequenceKd) return { kind: 'sequence-level', ...kwargs.sequenceKd };
  return { kind: 'token-level' };
}

/** The classification options a text run cannot honour, named. */
function refuse(ctx: StageContext, kwargs: TextDistillKwargs, data: string): void {
  const given: string[] = [];
  if (ctx.modelLists?.teachers) given.push('the `teachers` input (ensembles take class data)');
  if (kwargs.ensemble !== undefined) given.push('kwargs.ensemble');
  if (kwargs.jitter > 0) given.push('kwargs.jitter');
  if (kwargs.hintEpochs > 0) given.push('kwargs.hintEpochs');
  if (kwargs.teacherSignal === 'cached') given.push('kwargs.teacherSignal cached (the teacher runs on every batch of windows)');
  if (given.length > 0) throw new RetortError('BAD_ARGUMENT', `distill: data entry "${data}" is text; language-model distillation does not take ${given.join(', ')}`);
  if (!ctx.models.teacher) throw new RetortError('BAD_ARGUMENT', 'distill: give the `teacher` input');
}

export async function runTextDistillation(
  ctx: StageContext,
  kwargs: TextDistillKwargs,
  input: { name: string; text: TextDataInput },
  terms: WeightedTerm[],
  run: { started: number; recordFile: string },
): Promise<{ model: ModelProto; metrics: LanguageDistillMetrics; file: string; extra: Record<string, unknown> }> {
  refuse(ctx, kwargs, input.name);
  const { text } = input;
  const teacher = ctx.models.teacher!;
  const prepared = prepareLanguageDistillation({
    teacher: teacher.model,
    teacherPath: teacher.path,
    loadCorpus: (tokenizer) => text.corpus(tokenizer),
    student: studentOrigin(ctx, kwargs),
    context: kwargs.context ?? null,
    seed: ctx.seed,
  });
  const { corpus, context } = prepared;
  const masks = kwargs.keepSparsity ? masksFromZeros(prepared.student) : undefined;
  if (masks) ctx.log(`distill: keeping ${[...masks.values()].reduce((n, m) => n + m.filter((x) => x === 0).length, 0)} zero weights of the student in ${masks.size} weight tensors as masks`);
  const method = languageDistillMethod(methodChoice(kwargs), kwargs.batchSize);
  const stepsPerEpoch = kwargs.stepsPerEpoch ?? languageModelStepsPerEpoch(corpus.train.length, kwargs.batchSize, context);
  const config: LanguageDistillConfig = {
    teacher: { path: teacher.path, sha256: sha256(teacher.path) },
    student: prepared.studentRecord,
    data: input.name,
    tokenizer: corpus.tokenizer.spec.kind,
    context,
    validationFraction: text.validationFraction,
    limitTokens: null,
    stepsPerEpoch,
    ...runSettingsOf(kwargs, ctx, stepsPerEpoch),
    clipNorm: kwargs.clipNorm,
    checkpointEvery: kwargs.checkpointEvery ?? defaultCheckpointEvery(method, stepsPerEpoch),
    terms: recordedTerms(terms),
    method,
    ...(masks ? { keepSparsity: true as const } : {}),
  };
  const model = join(ctx.dir, 'model.onnx');
  const files = { model, vocab: vocabPathFor(model), metrics: join(ctx.dir, run.recordFile), checkpoint: ctx.checkpoint };
  const { metrics, model: trained } = await resumableRun<LanguageDistillMetrics, Awaited<ReturnType<typeof runLanguageDistillation>>>(ctx, 'distill', files.metrics, (reporting) =>
    runLanguageDistillation({ teacher: teacher.model, prepared, config, terms, files, ...(masks ? { masks } : {}), ...reporting, started: run.started }),
  );
  const v = metrics.validation;
  if (v) ctx.log(`distill: student validation loss ${v.loss.toFixed(4)} nats/token (teacher ${metrics.teacher.validation?.loss.toFixed(4)}), ${metrics.student.parameters} parameters (${(100 * metrics.student.parameterRatio).toFixed(1)}% of the teacher's)`);
  const extra = {
    method: metrics.method.kind,
    ...languageModelStageMetrics(v),
    teacherValidationLoss: metrics.teacher.validation?.loss ?? null,
    teacherPerplexity: metrics.teacher.validation?.perplexity ?? null,
    teacherParameters: metrics.teacher.parameters,
    parameterRatio: metrics.student.parameterRatio,
  };
  return { model: trained, metrics, file: files.metrics, extra };
}
