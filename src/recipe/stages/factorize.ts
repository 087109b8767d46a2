/**
 * The `factorize` stage: low-rank SVD factorization as `retort factorize` does it, through the same
 * function (factorizeModel): each Gemm/MatMul/Conv weight split into two layers through a rank-r
 * bottleneck, the rank per layer by retained energy or by a parameter budget; optionally fine-tuned
 * (on the data's labels, or distilled from the `teacher` input), resumable from ctx.checkpoint.
 */
import { z } from 'zod';
import { factorizeModel, type RankPolicy } from '../../lowrank/index.js';
import { trainToEnd } from '../../train/openTrainer.js';
import { RetortError } from '../../util/errors.js';
import { distillingTrainer } from '../joint/distillingTrainer.js';
import type { StageKind } from '../pipeline/stageKind.js';
import { finishCompressionStage, resumePoint, stageData } from './compressionOutput.js';
import { fineTuneSchema, hintonOptionsOf, trainerConfigOf } from './fineTuneKwargs.js';
import { resumable } from './resumable.js';

const factorizeKwargsSchema = z.strictObject({
  rank: z
    .discriminatedUnion('key', [
      z.strictObject({ key: z.literal('energy'), kwargs: z.strictObject({ energy: z.number().gt(0).max(1).describe('fraction of sum(s^2) kept') }) }).describe('smallest rank keeping this fraction of the spectrum energy'),
      z.strictObject({ key: z.literal('budget'), kwargs: z.strictObject({ fraction: z.number().gt(0).max(1).describe("fraction of the layer's parameters") }) }).describe('largest rank whose factors hold at most this fraction of the parameters'),
    ])
    .describe('rank per layer: { key: energy, kwargs: { energy } } or { key: budget, kwargs: { fraction } }'),
  layers: z.array(z.string()).optional().describe('node names to factorize; default every layer that can be'),
  fineTune: fineTuneSchema.optional().describe('training after factorizing; distilled from `teacher` when given'),
});

export type FactorizeKwargs = z.infer<typeof factorizeKwargsSchema>;

const policyOf = (r: FactorizeKwargs['rank']): RankPolicy => (r.key === 'energy' ? { method: 'energy', energy: r.kwargs.energy } : { method: 'budget', fraction: r.kwargs.fraction });

export const factorizeStage: StageKind<FactorizeKwargs> = {
  key: 'factorize',
  summary: 'Low-rank SVD factorization of Gemm/MatMul/Conv layers as `retort factorize`, rank by energy or parameter budget, optionally fine-tuned (distilled from a teacher when given)',
  inputs: [
    { name: 'model', kind: 'model', required: true, description: 'the ONNX model to factorize' },
    { name: 'data', kind: 'data', required: false, description: 'training data for the fine-tune and the test split the result is scored on' },
    { name: 'teacher', kind: 'model', required: false, description: 'a float model to distill from during the fine-tune' },
  ],
  outputs: ['model'],
  kwargs: factorizeKwargsSchema,
  async run(ctx, kwargs) {
    const started = performance.now();
    const model = ctx.models.model!.model;
    const data = stageData(ctx, model);
    const result = factorizeModel(model, { policy: policyOf(kwargs.rank), layers: kwargs.layers });
    const before = result.layers.reduce((n, l) => n + l.paramsBefore, 0);
    const after = result.layers.reduce((n, l) => n + l.paramsAfter, 0);
    ctx.log(`factorize: layer parameters ${before} -> ${after}`);
    let factorized = result.model;
    if (kwargs.fineTune) {
      if (!data) throw new RetortError('BAD_ARGUMENT', 'factorize: fineTune needs the `data` input (inputs: { data: NAME })');
      const teacher = ctx.models.teacher?.model;
      const open = teacher ? distillingTrainer(teacher, hintonOptionsOf(kwargs.fineTune)) : undefined;
      const config = trainerConfigOf(kwargs.fineTune, ctx, data.train.length);
      const start = result.model;
      const trained = await resumable(ctx, 'factorize', resumePoint(ctx) !== undefined, (resume) => trainToEnd(start, config, { train: data.train }, { open, resumeFrom: resume ? ctx.checkpoint : undefined }));
      factorized = trained.model;
    }
    const layers = result.layers.map((l) => ({ node: l.node, shape: l.shape, rank: l.rank, fullRank: l.fullRank, energy: l.energy, paramsBefore: l.paramsBefore, paramsAfter: l.paramsAfter, factorized: l.factorized }));
    return finishCompressionStage(ctx, factorized, { data, started, extra: { rank: kwargs.rank, layerParametersBefore: before, layerParametersAfter: after, factorizedLayers: layers } });
  },
};
