/**
 * The `prune` stage: what `retort prune` (unstructured and N:M, any importance and schedule) and
 * `retort prune-structured` (whole channels or residual blocks to a MAC target) do, through the same
 * functions (src/prune/plan.ts runPruning, src/prune/structured), plus an optional fine-tune with the
 * masks kept in the training graph — on the data's labels, or distilled from the `teacher` input.
 * Writes model.onnx, pruned weights exactly zero; metrics add per-layer sparsity and MACs.
 */
import { z } from 'zod';
import { macsAtBatchOne } from '../../eval/modelSummary.js';
import type { ModelProto } from '../../onnx/proto.js';
import { importanceScorer, type ImportanceMethod, type PruningScope } from '../../prune/importance/index.js';
import type { WandaCalibration } from '../../prune/evidence.js';
import type { MaskedTraining } from '../../prune/maskedTraining.js';
import { calibrationSample, planWandaCalibration, pruningPlanProblems, runPruning, type PlanProblem, type PruningPattern, type PruningSchedule, type PruningTarget } from '../../prune/plan.js';
import { IMPORTANCE_CRITERIA, PRUNE_STRUCTURES, pruneStructured, taylorCalibration, type ImportanceCriterion, type PruneStructure } from '../../prune/structured/index.js';
import { trainToEnd } from '../../train/openTrainer.js';
import { RetortError } from '../../util/errors.js';
import { distillingTrainer } from '../joint/distillingTrainer.js';
import type { StageContext, StageData, StageKind } from '../pipeline/stageKind.js';
import { finishCompressionStage, resumePoint, stageData } from './compressionOutput.js';
import { fineTuneSchema, hintonOptionsOf, trainerConfigOf, type FineTuneKwargs } from './fineTuneKwargs.js';
import { resumable } from './resumable.js';

const scope = z.enum(['layer', 'global', 'row']).optional().describe("where scores compete: within each layer, across all layers, or within each output unit; default the criterion's own (han global, wanda row, else layer)");

const importanceSchema = z.discriminatedUnion('key', [
  z.strictObject({ key: z.literal('magnitude'), kwargs: z.strictObject({ scope }).prefault({}) }).describe('|w| (Han et al. 2015)'),
  z.strictObject({
    key: z.literal('han'),
    kwargs: z.strictObject({ scope, quality: z.number().min(0).optional().describe("Han et al.'s quality parameter: prune |w| < quality x std of its layer (instead of a sparsity)") }).prefault({}),
  }).describe('|w| / std of its layer, the std threshold of Han et al. 2015'),
  z.strictObject({ key: z.literal('movement'), kwargs: z.strictObject({ scope }).prefault({}) }).describe('-W * dL/dW summed over the fine-tune (Sanh et al. 2020); needs fineTune'),
  z.strictObject({
    key: z.literal('wanda'),
    kwargs: z.strictObject({
      scope,
      calibrationSamples: z.number().int().positive().default(128).describe('training samples whose activation norms are measured (seeded choice)'),
      calibration: z.enum(['sequential', 'one-pass']).optional().describe("sequential: each layer measured on the model with the layers before it pruned (Wanda's reference code); one-pass: all on the dense model; default sequential for a oneshot, per-layer or per-row prune"),
    }).prefault({}),
  }).describe('|W| * input-feature norm (Sun et al. 2023); needs data'),
  z.strictObject({ key: z.literal('random'), kwargs: z.strictObject({ scope }).prefault({}) }).describe('seeded random scores (the baseline)'),
]);

const scheduleSchema = z.discriminatedUnion('key', [
  z.strictObject({ key: z.literal('oneshot'), kwargs: z.strictObject({}).prefault({}) }).describe('prune once, then fine-tune (if fineTune)'),
  z.strictObject({ key: z.literal('agp'), kwargs: z.strictObject({ updates: z.number().int().positive().default(10).describe('mask updates over the first 3/4 of the fine-tune') }).prefault({}) }).describe(
    'Zhu & Gupta 2017 cubic ramp during the fine-tune; needs fineTune',
  ),
  z.strictObject({ key: z.literal('iterative'), kwargs: z.strictObject({ rounds: z.number().int().positive().default(3).describe('prune-and-retrain rounds') }).prefault({}) }).describe(
    'Han et al. 2015 rounds, each retrained with fineTune (an interrupted attempt starts the stage over)',
  ),
  z.strictObject({ key: z.literal('lottery'), kwargs: z.strictObject({ rounds: z.number().int().positive().optional().describe('rounds to the target; default 20% of the remaining weights per round') }).prefault({}) }).describe(
    'Frankle & Carbin 2019: train, prune by magnitude, rewind, retrain; needs fineTune (an interrupted attempt starts the stage over)',
  ),
]);

const structuredSchema = z
  .strictObject({
    structure: z.enum(PRUNE_STRUCTURES as [PruneStructure, ...PruneStructure[]]).default('channels').describe('channels (filters, neurons) or blocks (residual branches y = F(x) + x)'),
    targetMacs: z.number().gt(0).max(1).describe('fraction of the MACs (batch 1) to keep'),
    importance: z.enum(IMPORTANCE_CRITERIA as [ImportanceCriterion, ...ImportanceCriterion[]]).default('l1').describe('filter L1/L2 norm (Li et al. 2017) or Taylor |w dL/dw| (Molchanov et al. 2019; needs data)'),
    calibrationSamples: z.number().int().positive().default(256).describe('taylor: training samples of the gradient (seeded choice)'),
    exclude: z.array(z.string()).default([]).describe('group sources (node names) or residual Add names never pruned'),
  })
  .describe('structured pruning that shrinks the graph, instead of zeroing weights');

const N_M = /^(\d+):(\d+)$/;

const pruneKwargsSchema = z
  .strictObject({
    importance: importanceSchema.optional().describe('{ key: magnitude | han | movement | wanda | random, kwargs }; default magnitude'),
    sparsity: z.number().min(0).lt(1).optional().describe('fraction of the prunable (Gemm/MatMul/Conv) weights pruned; N:M patterns imply it'),
    layerSparsity: z
      .record(z.string().min(1), z.number().min(0).lt(1))
      .optional()
      .describe('per-layer sparsities by weight or node name, e.g. { conv1: 0.34, fc1: 0.92 } (Han et al. 2016 for LeNet-5); they override `sparsity` for those layers, the others take `sparsity` (default 0: dense); oneshot schedule, layer or row scope'),
    scope: scope,
    pattern: z.string().regex(/^(unstructured|\d+:\d+)$/, 'expected unstructured or N:M, e.g. 2:4').optional().describe('unstructured (default) or N:M: N of every M consecutive inputs of an output unit kept (2:4 for sparse tensor cores)'),
    schedule: scheduleSchema.optional().describe('{ key: oneshot | agp | iterative | lottery, kwargs }; default oneshot'),
    structured: structuredSchema.optional(),
    fineTune: fineTuneSchema.optional().describe('training after (or, for agp and lottery, while) pruning, masks kept; distilled from `teacher` when given'),
  })
  .superRefine((k, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (k.structured) {
      for (const field of ['importance', 'sparsity', 'layerSparsity', 'scope', 'pattern', 'schedule'] as const) if (k[field] !== undefined) issue([field], 'applies to unstructured pruning, not with structured');
      return;
    }
    if (k.scope !== undefined && k.importance?.kwargs.scope !== undefined && k.scope !== k.importance.kwargs.scope) issue(['scope'], `contradicts importance.kwargs.scope "${k.importance.kwargs.scope}"`);
    const plan = planOf(k);
    if (plan.target === undefined) {
      issue(['sparsity'], 'give a sparsity (or layerSparsity, an N:M pattern, or han with a quality)');
      return;
    }
    // An out-of-range sparsity is already reported by its own field's bounds.
    const problems = pruningPlanProblems({ ...plan, target: plan.target, scope: plan.scope, trains: k.fineTune !== undefined, hasCalibrationSet: true }).filter((p) => p.field !== 'target' || !('sparsity' in plan.target!) || (plan.target.sparsity >= 0 && plan.target.sparsity < 1));
    for (const p of problems) issue(PROBLEM_PATHS[p.field], p.message);
  });

export type PruneKwargs = z.infer<typeof pruneKwargsSchema>;

/** Where in the kwargs each field of a pruning plan is given. */
const PROBLEM_PATHS: Record<PlanProblem['field'], string[]> = {
  importance: ['importance', 'key'], target: ['sparsity'], perLayer: ['layerSparsity'], pattern: ['pattern'], schedule: ['schedule', 'key'], training: ['fineTune'],
  calibration: ['importance', 'kwargs', 'calibration'],
};

interface StagePlan {
  importance: ImportanceMethod;
  calibration: WandaCalibration | undefined;
  scope: PruningScope;
  pattern: PruningPattern;
  schedule: PruningSchedule;
  target: PruningTarget | undefined;
}

function planOf(k: PruneKwargs): StagePlan {
  const importance = k.importance ?? { key: 'magnitude' as const, kwargs: {} };
  const match = N_M.exec(k.pattern ?? '');
  const pattern: PruningPattern = match ? { kind: 'n:m', n: Number(match[1]), m: Number(match[2]) } : { kind: 'unstructured' };
  const s = k.schedule ?? { key: 'oneshot' as const, kwargs: {} };
  const schedule: PruningSchedule = s.key === 'agp' ? { kind: 'agp', updates: s.kwargs.updates } : s.key === 'iterative' ? { kind: 'iterative', rounds: s.kwargs.rounds } : s.key === 'lottery' ? { kind: 'lottery', rounds: s.kwargs.rounds } : { kind: 'oneshot' };
  const quality = importance.key === 'han' ? importance.kwargs.quality : undefined;
  const target: PruningTarget | undefined =
    quality !== undefined
      ? { quality }
      : k.layerSparsity !== undefined
        ? { sparsity: k.sparsity ?? 0, perLayer: k.layerSparsity }
        : k.sparsity !== undefined
          ? { sparsity: k.sparsity }
          : pattern.kind === 'n:m'
            ? { sparsity: 1 - pattern.n / pattern.m }
            : undefined;
  const calibration = importance.key === 'wanda' ? importance.kwargs.calibration : undefined;
  return { importance: importance.key, calibration, scope: k.scope ?? importance.kwargs.scope ?? importanceScorer(importance.key).defaultScope, pattern, schedule, target };
}

/** What the pruning trains with besides the kwargs: the data, the teacher, and whether to resume from ctx.checkpoint. */
/** The pruned model and what the metrics say about how it was pruned. */
interface Pruned {
  model: ModelProto;
  extra: Record<string, unknown>;
}

interface Inputs {
  model: ModelProto;
  data: StageData | undefined;
  teacher: ModelProto | undefined;
  resume: boolean;
}

/** Fine-tuning: checkpointed when it is one training run (oneshot, agp, structured); rounds start over. */
function trainingOf(ctx: StageContext, fineTune: FineTuneKwargs | undefined, inputs: Inputs, checkpointed: boolean): MaskedTraining | undefined {
  const { data, teacher } = inputs;
  if (!fineTune || !data) return undefined;
  const config = trainerConfigOf(fineTune, ctx, data.train.length);
  return {
    config: checkpointed ? config : { ...config, checkpoint: undefined },
    data: { train: data.train },
    open: teacher ? distillingTrainer(teacher, hintonOptionsOf(fineTune)) : undefined,
    resumeFrom: checkpointed && inputs.resume ? ctx.checkpoint : undefined,
  };
}

function requireData(data: StageData | undefined, why: string): asserts data is StageData {
  if (!data) throw new RetortError('BAD_ARGUMENT', `prune: ${why} needs the \`data\` input (inputs: { data: NAME })`);
}

async function unstructured(ctx: StageContext, k: PruneKwargs, inputs: Inputs): Promise<Pruned> {
  const { model, data } = inputs;
  const plan = planOf(k);
  if (k.fineTune) requireData(data, 'fineTune');
  if (plan.importance === 'wanda') requireData(data, 'wanda importance');
  const calibrationSamples = k.importance?.key === 'wanda' ? k.importance.kwargs.calibrationSamples : 0;
  const checkpointed = plan.schedule.kind === 'oneshot' || plan.schedule.kind === 'agp';
  if (!checkpointed && k.fineTune) ctx.log(`prune: the ${plan.schedule.kind} schedule trains in rounds and does not checkpoint; an interrupted attempt starts over`);
  const result = await runPruning(model, {
    ...plan,
    target: plan.target!,
    seed: ctx.seed,
    threads: ctx.threads,
    training: trainingOf(ctx, k.fineTune, inputs, checkpointed),
    calibrationSet: plan.importance === 'wanda' ? calibrationSample(data!.train, calibrationSamples, ctx.seed) : undefined,
  });
  const target = 'sparsity' in plan.target! ? { sparsityTarget: plan.target.sparsity, ...(plan.target.perLayer ? { layerSparsityTargets: plan.target.perLayer } : {}) } : { quality: plan.target!.quality };
  const wandaCalibration = planWandaCalibration(plan);
  const calibration = wandaCalibration ? { wandaCalibration } : {};
  return { model: result.model, extra: { importance: plan.importance, scope: plan.scope, pattern: k.pattern ?? 'unstructured', schedule: plan.schedule.kind, ...target, ...calibration, leftDense: result.skipped } };
}

async function structured(ctx: StageContext, s: NonNullable<PruneKwargs['structured']>, k: PruneKwargs, inputs: Inputs): Promise<Pruned> {
  const { model, data } = inputs;
  if (s.importance === 'taylor') requireData(data, 'taylor importance');
  if (k.fineTune) requireData(data, 'fineTune');
  const result = await pruneStructured(model, {
    structure: s.structure,
    targetMacs: s.targetMacs,
    importance: s.importance,
    countMacs: macsAtBatchOne,
    calibration: s.importance === 'taylor' ? taylorCalibration(model, calibrationSample(data!.train, s.calibrationSamples, ctx.seed)) : undefined,
    exclude: s.exclude,
  });
  ctx.log(`prune: ${s.structure} to ${result.macsAfter} of ${result.macsBefore} MACs`);
  const training = trainingOf(ctx, k.fineTune, inputs, true);
  const pruned = training ? (await trainToEnd(result.model, training.config, training.data, training)).model : result.model;
  return { model: pruned, extra: { structure: s.structure, importance: s.importance, targetMacs: s.targetMacs, macsBefore: result.macsBefore, macsAfter: result.macsAfter, keepRatio: result.keepRatio ?? null, removedBranches: result.removedBranches.map((b) => b.add) } };
}

export const pruneStage: StageKind<PruneKwargs> = {
  key: 'prune',
  summary: 'Prune weights (unstructured or N:M, any importance and schedule, as `retort prune`) or whole channels/blocks to a MAC target (as `retort prune-structured`), optionally fine-tuned with the masks kept, distilled from a teacher when given',
  inputs: [
    { name: 'model', kind: 'model', required: true, description: 'the ONNX classifier to prune' },
    { name: 'data', kind: 'data', required: false, description: "training data for the fine-tune, Wanda's and Taylor's calibration, and the test split the result is scored on" },
    { name: 'teacher', kind: 'model', required: false, description: 'a float model to distill from during the fine-tune (Hinton loss, fineTune.distillation)' },
  ],
  outputs: ['model'],
  kwargs: pruneKwargsSchema,
  async run(ctx, kwargs) {
    const started = performance.now();
    const model = ctx.models.model!.model;
    const data = stageData(ctx, model);
    const teacher = ctx.models.teacher?.model;
    const structure = kwargs.structured;
    const result = await resumable(ctx, 'prune', kwargs.fineTune !== undefined && resumePoint(ctx) !== undefined, (resume) => {
      const inputs = { model, data, teacher, resume };
      return structure ? structured(ctx, structure, kwargs, inputs) : unstructured(ctx, kwargs, inputs);
    });
    const extra = { ...result.extra, fineTuneEpochs: kwargs.fineTune?.epochs ?? 0, distilled: Boolean(teacher && kwargs.fineTune) };
    return finishCompressionStage(ctx, result.model, { data, started, extra });
  },
};
