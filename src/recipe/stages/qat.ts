/**
 * The `qat` stage: quantization-aware training as `retort qat` does it, through the same function
 * (quantizationAwareTraining): fake quantization with a straight-through gradient on weights and
 * activations, observed or learned (LSQ) scales initialized from the float model or from static-PTQ
 * calibration, trained on the data's labels or distilled from the `teacher` input (Polino et al.
 * 2018), then exported as a QDQ model. Checkpoints to ctx.checkpoint and resumes from it.
 */
import { z } from 'zod';
import { modelCalibrationReader } from '../../quantize/calibration/reader.js';
import { defaultBias, defaultQatOptions, quantizationAwareTraining, QAT_BITS, QAT_CALIBRATION_BATCH, type QatOptions } from '../../quantize/qat/index.js';
import { RetortError } from '../../util/errors.js';
import { distillingTrainer } from '../joint/distillingTrainer.js';
import type { StageKind } from '../pipeline/stageKind.js';
import { finishCompressionStage, resumePoint, stageData } from './compressionOutput.js';
import { hintonOptionsOf, trainerConfigOf, trainingSchema } from './fineTuneKwargs.js';
import { resumable } from './resumable.js';
import { calibrationSamplesSchema, calibratorOptionsOf, calibratorSchema, exclusionsOf, exclusionsSchema } from './quantizeKwargs.js';

export const qatSchemeShape = {
  bits: z.number().int().min(QAT_BITS[0]).max(QAT_BITS.at(-1)!).default(8).describe('bits of weights and activations (codes in int8/uint8 containers)'),
  granularity: z.enum(['per-channel', 'per-tensor']).default('per-channel').describe('weight scales per output channel or per tensor'),
  scales: z
    .discriminatedUnion('key', [
      z.strictObject({ key: z.literal('observed'), kwargs: z.strictObject({ momentum: z.number().min(0).lt(1).default(0.99).describe('weight of the old range in the moving average') }).prefault({}) }).describe(
        'weights: max|W| each step; activations: moving-average min/max',
      ),
      z.strictObject({ key: z.literal('learned'), kwargs: z.strictObject({}).prefault({}) }).describe('LSQ step sizes (Esser et al. 2020)'),
    ])
    .prefault({ key: 'observed' })
    .describe('{ key: observed | learned, kwargs }'),
  ste: z.enum(['clipped', 'plain']).default('clipped').describe('straight-through estimator: clipped (zero gradient outside the range) or plain'),
  calibrationSamples: calibrationSamplesSchema(1024),
  exclude: exclusionsSchema,
};

const qatKwargsSchema = z
  .strictObject({
    ...qatSchemeShape,
    rangeInit: z
      .discriminatedUnion('key', [
        z.strictObject({ key: z.literal('float'), kwargs: z.strictObject({}).prefault({}) }).describe("the first calibration batch's min/max through the float model"),
        z.strictObject({ key: z.literal('ptq'), kwargs: z.strictObject({ calibrator: calibratorSchema.prefault({ key: 'minmax' }) }).prefault({}) }).describe('static-PTQ calibration over all calibration samples'),
      ])
      .prefault({ key: 'float' })
      .describe('where the activation ranges start: { key: float | ptq, kwargs: { calibrator } }'),
    bias: z.enum(['int32', 'float']).optional().describe('exported biases: int32 at input scale x weight scale, or float; default int32 at 8 bits, float below'),
    training: trainingSchema({ alpha: 0.5 }).describe('the quantization-aware training run; distilled from `teacher` when given'),
  })
  .superRefine((k, ctx) => {
    if (k.scales.key === 'learned' && k.ste === 'plain') ctx.addIssue({ code: 'custom', path: ['ste'], message: 'learned scales (LSQ) use the clipped straight-through estimator' });
  });

export type QatKwargs = z.infer<typeof qatKwargsSchema>;

/** The QAT options of a stage's scheme fields (shared with `joint`); `init` says where ranges start. */
export function qatOptionsOf(k: Omit<z.infer<z.ZodObject<typeof qatSchemeShape>>, 'calibrationSamples'> & { bias?: QatOptions['bias'] }, init: QatOptions['init']): QatOptions {
  return defaultQatOptions({
    bits: k.bits,
    ste: k.ste,
    bias: k.bias ?? defaultBias(k.bits),
    weights: { granularity: k.granularity },
    scales: k.scales.key === 'learned' ? { kind: 'learned' } : { kind: 'observed', momentum: k.scales.kwargs.momentum },
    init,
    exclude: exclusionsOf(k.exclude),
  });
}

export const qatStage: StageKind<QatKwargs> = {
  key: 'qat',
  summary: 'Quantization-aware training as `retort qat`: fake quantization with STE, observed or LSQ scales, optionally distilled from a float teacher; writes the QDQ model static PTQ writes',
  inputs: [
    { name: 'model', kind: 'model', required: true, description: 'the trained float ONNX classifier (opset 13 or later)' },
    { name: 'data', kind: 'data', required: true, description: 'training data (its first calibrationSamples samples initialize the ranges) and the test split the result is scored on' },
    { name: 'teacher', kind: 'model', required: false, description: 'a float model to distill from while training (training.distillation)' },
  ],
  outputs: ['model'],
  kwargs: qatKwargsSchema,
  async run(ctx, kwargs) {
    const started = performance.now();
    const model = ctx.models.model!.model;
    const data = stageData(ctx, model);
    if (!data) throw new RetortError('BAD_ARGUMENT', 'qat: needs the `data` input (inputs: { data: NAME })');
    const teacher = ctx.models.teacher?.model;
    const init: QatOptions['init'] = kwargs.rangeInit.key === 'ptq' ? { from: 'ptq', calibrator: calibratorOptionsOf(kwargs.rangeInit.kwargs.calibrator) } : { from: 'float' };
    const quantization = qatOptionsOf(kwargs, init);
    const result = await resumable(ctx, 'qat', resumePoint(ctx) !== undefined, (resume) => quantizationAwareTraining({
      model,
      data: { train: data.train },
      trainer: trainerConfigOf(kwargs.training, ctx, data.train.length),
      quantization,
      calibration: modelCalibrationReader(model, data.train, { size: kwargs.calibrationSamples, batchSize: QAT_CALIBRATION_BATCH }),
      open: teacher ? distillingTrainer(teacher, hintonOptionsOf(kwargs.training)) : undefined,
      resumeFrom: resume ? ctx.checkpoint : undefined,
    }));
    const extra = { options: quantization, distilled: Boolean(teacher), steps: result.training.steps, lastLoss: result.training.lastLoss };
    return finishCompressionStage(ctx, result.model, { data, started, extra });
  },
};
