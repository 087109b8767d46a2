/**
 * The `distill` stage: what `retort distill` does, from a recipe — train a student (the `student`
 * input, or a built `kwargs.arch`) on a teacher's outputs (the `teacher` input, or an ensemble of
 * `teachers`) with an objective of weighted distillation terms (distillTerms.ts), optionally keeping
 * a pruned student's zeros as masks in the training graph — into the stage folder: model.onnx and
 * training.json (what `retort distill` writes as metrics.json: config, per-epoch history, test
 * errors per class, agreement with the teacher, timings). It checkpoints to ctx.checkpoint and
 * continues from it after an interruption. Both call runDistillation (distillRun.ts). On a text
 * entry the student is a language model (distillText.ts: runLanguageDistillation, as `retort
 * distill --data text:PATH`).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { modelInputDims } from '../../data/forModel.js';
import { buildTeacherEnsemble, CONFIDENCE_MEASURES, type TeacherWeighting } from '../../distill/teacherEnsemble.js';
import { masksFromZeros } from '../../prune/zeroMasks.js';
import { runSteps } from '../../train/classifierRun.js';
import { modelToTrain, sha256 } from '../../train/modelSource.js';
import { RetortError } from '../../util/errors.js';
import type { ModelInput, StageContext, StageKind } from '../pipeline/stageKind.js';
import { recordedTerms, runDistillation, TEACHER_SIGNALS, type DistillConfig, type DistillMetrics } from './distillRun.js';
import { checkTermEntries, HINTON_KEY, objectiveTerms, termEntrySchema } from './distillTerms.js';
import { runSettingsOf } from './fineTuneKwargs.js';
import { resumableRun } from './resumable.js';
import { checkTextDistillKwargs, runTextDistillation, textDistillShape } from './distillText.js';
import { architectureSchema, finishTrainingStage, modelOrigin, TRAINING_FILE, trainingShape } from './train.js';
import { textOf } from './trainText.js';

const weightingSchema = z.discriminatedUnion('key', [
  z.strictObject({
    key: z.literal('fixed'),
    kwargs: z.strictObject({ weights: z.array(z.number().min(0)).min(1).describe('one weight per teacher, in `teachers` order (normalised to sum 1)') }),
  }).describe('the same weights for every sample'),
  z.strictObject({
    key: z.literal('confidence'),
    kwargs: z
      .strictObject({
        measure: z.enum(CONFIDENCE_MEASURES).default('negative-entropy').describe('how sure each teacher is of a sample'),
        temperature: z.number().positive().default(1).describe('tau: per-sample weights are softmax over teachers of confidence / tau'),
      })
      .prefault({}),
  }).describe('per-sample weights by teacher confidence (as AE-KD, Du et al. 2020)'),
]);

const distillKwargsSchema = z
  .strictObject({
    arch: architectureSchema.optional().describe('student architecture to build when there is no `student` input: mlp:800,800, lenet-300-100, lenet5, resnet:8,16; gpt:layers=2,dim=64,heads=4,context=128 for text data'),
    ...trainingShape,
    terms: z
      .array(termEntrySchema)
      .min(1)
      .default([{ key: HINTON_KEY, weight: 1, kwargs: {} }])
      .describe('the objective: weighted terms { key, weight, name, kwargs }, summed (default classic KD: hinton with temperature 4, alpha 0.1)'),
    keepSparsity: z.boolean().default(false).describe("keep the student's exact zeros: masks from its zero weights stay in the training graph, so a pruned student stays pruned"),
    teacherSignal: z.enum(TEACHER_SIGNALS).default('auto').describe('teacher values: auto (cached over the training split, per batch with jitter), cached, or per-batch'),
    hintEpochs: z.number().int().min(0).default(0).describe('FitNets two-stage training (Romero et al. 2015): this many epochs on the fitnet terms alone first'),
    ensemble: z
      .strictObject({
        temperature: z.number().positive().describe("temperature T the teachers' soft targets are averaged at (use the KD term's)"),
        weighting: weightingSchema.prefault({ key: 'confidence' }).describe('{ key: fixed, kwargs: { weights } } or { key: confidence, kwargs: { measure, temperature } }'),
      })
      .optional()
      .describe('how the `teachers` input is combined into one teacher (only with `teachers`)'),
    ...textDistillShape,
  })
  .superRefine((k, ctx) => {
    checkTermEntries(k.terms, k.hintEpochs, ctx, ['terms']);
    checkTextDistillKwargs(k, ctx);
    if (k.jitter > 0 && k.teacherSignal === 'cached') ctx.addIssue({ code: 'custom', path: ['teacherSignal'], message: 'cached teacher values cannot go with jitter: the teacher must see the same jittered images as the student (use auto or per-batch)' });
  });

export type DistillKwargs = z.infer<typeof distillKwargsSchema>;

/** The teacher (or the ensemble of `teachers` as one), and how metrics record it. */
function teacherOf(ctx: StageContext, kwargs: DistillKwargs): { model: ModelInput['model']; record: DistillConfig['teacher'] } {
  const single = ctx.models.teacher;
  const list = ctx.modelLists?.teachers;
  if ((single === undefined) === (list === undefined)) throw new RetortError('BAD_ARGUMENT', 'distill: give exactly one of the `teacher` input (one model) or `teachers` (an ensemble)');
  if (single) {
    if (kwargs.ensemble) throw new RetortError('BAD_ARGUMENT', 'distill: kwargs.ensemble applies to the `teachers` input, not `teacher`');
    return { model: single.model, record: { path: single.path, sha256: sha256(single.path) } };
  }
  if (!kwargs.ensemble) throw new RetortError('BAD_ARGUMENT', 'distill: the `teachers` input needs kwargs.ensemble { temperature, weighting } saying how to combine them');
  const w = kwargs.ensemble.weighting;
  const weighting: TeacherWeighting = w.key === 'fixed' ? { kind: 'fixed', weights: w.kwargs.weights } : { kind: 'confidence', measure: w.kwargs.measure, temperature: w.kwargs.temperature };
  const model = buildTeacherEnsemble(list!.map((t) => t.model), { temperature: kwargs.ensemble.temperature, weighting });
  const members = list!.map((t) => ({ path: t.path, sha256: sha256(t.path) }));
  const digest = createHash('sha256').update(members.map((m) => m.sha256).join('\n')).digest('hex');
  return { model, record: { path: members.map((m) => m.path).join(' + '), sha256: digest, ensemble: { members, temperature: kwargs.ensemble.temperature, weighting } } };
}

async function runDistillStage(ctx: StageContext, kwargs: DistillKwargs) {
  const started = performance.now();
  const text = textOf(ctx.data.data);
  if (text) {
    // A language-model student on a text entry: distillText.ts.
    const run = await runTextDistillation(ctx, kwargs, { name: ctx.data.data!.name, text }, objectiveTerms(kwargs.terms), { started, recordFile: TRAINING_FILE });
    return finishTrainingStage(ctx, run, undefined, started, run.extra);
  }
  const textOnly = (['studentFromTeacherLayers', 'onPolicy', 'sequenceKd', 'context', 'stepsPerEpoch'] as const).filter((key) => kwargs[key] !== undefined);
  if (textOnly.length > 0 || kwargs.clipNorm !== null) throw new RetortError('BAD_ARGUMENT', `distill: kwargs.${[...textOnly, ...(kwargs.clipNorm !== null ? ['clipNorm'] : [])].join(', kwargs.')} apply to text data; data entry "${ctx.data.data!.name}" is not text`);
  const teacher = teacherOf(ctx, kwargs);
  const { model: student, source } = modelToTrain(modelOrigin('distill', ctx.models.student, kwargs.arch, 'student'), ctx.seed);
  const masks = kwargs.keepSparsity ? masksFromZeros(student) : undefined;
  if (masks) {
    const zeros = [...masks.values()].reduce((n, m) => n + m.filter((x) => x === 0).length, 0);
    ctx.log(`distill: keeping ${zeros} zero weights of the student in ${masks.size} weight tensors as masks`);
  }
  const dataInput = ctx.data.data!;
  const data = dataInput.load(modelInputDims(student));
  const terms = objectiveTerms(kwargs.terms);
  const { stepsPerEpoch } = runSteps(data.train.length, { batchSize: kwargs.batchSize, epochs: kwargs.epochs, maxSteps: kwargs.maxSteps ?? null });
  const config: DistillConfig = {
    teacher: teacher.record,
    student: source,
    data: dataInput.name,
    limitTrain: null,
    validation: data.validation?.length ?? 0,
    omitClass: null,
    ...runSettingsOf(kwargs, ctx, stepsPerEpoch),
    jitter: kwargs.jitter,
    teacherSignal: kwargs.teacherSignal,
    checkpointEvery: kwargs.checkpointEvery ?? stepsPerEpoch,
    terms: recordedTerms(terms),
    ...(kwargs.hintEpochs > 0 ? { hintEpochs: kwargs.hintEpochs } : {}),
    ...(masks ? { keepSparsity: true as const } : {}),
  };
  const files = { model: join(ctx.dir, 'model.onnx'), metrics: join(ctx.dir, TRAINING_FILE), checkpoint: ctx.checkpoint };
  const { metrics, model: trained } = await resumableRun<DistillMetrics, Awaited<ReturnType<typeof runDistillation>>>(ctx, 'distill', files.metrics, (reporting) =>
    runDistillation({ teacher: teacher.model, student, config, data, omittedSamples: 0, terms, ...(masks && masks.size > 0 ? { masks } : {}), files, ...reporting, started }),
  );
  const teacherTest = metrics.teacher.test;
  return finishTrainingStage(ctx, { model: trained, metrics, file: files.metrics }, data, started, {
    teacherSignal: metrics.teacherSignal,
    // Top-1 agreement of the student with the teacher on the test split.
    agreement: metrics.test!.teacherAgreement,
    teacherTestError: teacherTest.errors / teacherTest.samples,
  });
}

export const distillStage: StageKind<DistillKwargs> = {
  key: 'distill',
  summary: 'Distill a teacher (or an ensemble) into a student on weighted distillation terms, as `retort distill` does (text data: token-level KD, on-policy or sequence-level, students from teacher layers); keepSparsity keeps a pruned student pruned; checkpoints and resumes exactly',
  inputs: [
    { name: 'teacher', kind: 'model', required: false, description: 'the teacher ONNX model (first output: its logits); give this or `teachers`' },
    { name: 'teachers', kind: 'models', required: false, description: 'several teachers combined into one by kwargs.ensemble (soft targets averaged); give this or `teacher`' },
    { name: 'student', kind: 'model', required: false, description: 'the student ONNX model to train (e.g. a pruned stage output); else kwargs.arch is built' },
    { name: 'data', kind: 'data', required: true, description: 'the data entry: its training split is the transfer set, its test split scores each epoch; a text entry distills a language model on windows of its training tokens, its validation tokens score each epoch' },
  ],
  outputs: ['model', 'training'],
  kwargs: distillKwargsSchema,
  run: runDistillStage,
};
