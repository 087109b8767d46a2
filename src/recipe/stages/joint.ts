/**
 * The `joint` stage: pruning, quantization and distillation in one training run of the student, as
 * OpenVINO's JPQD does it (src/recipe/joint/flow.ts): AGP magnitude pruning to `pruning.sparsity`
 * with masks in the training graph, fake quantization of weights and activations (ranges from
 * calibration), the Hinton loss against the teacher; then a real int8 QDQ model whose pruned weights
 * stay zero. Checkpoints (trainer state and masks together) to ctx.checkpoint and resumes from it.
 */
import { z } from 'zod';
import { batchCount } from '../../data/batches.js';
import { modelCalibrationReader } from '../../quantize/calibration/reader.js';
import { QAT_CALIBRATION_BATCH } from '../../quantize/qat/options.js';
import { RetortError } from '../../util/errors.js';
import { agpOverRun, jointPruneQuantizeDistill } from '../joint/flow.js';
import type { StageKind } from '../pipeline/stageKind.js';
import { finishCompressionStage, resumePoint, stageData } from './compressionOutput.js';
import { hintonOptionsOf, trainerConfigOf, trainingSchema } from './fineTuneKwargs.js';
import { qatOptionsOf, qatSchemeShape } from './qat.js';
import { resumable } from './resumable.js';
import { calibratorOptionsOf, calibratorSchema } from './quantizeKwargs.js';

/** Mask updates over the pruning ramp when `frequency` is not given. */
const DEFAULT_UPDATES = 10;

const jointKwargsSchema = z.strictObject({
  training: trainingSchema({ alpha: 0.1 }).describe('the one training run: epochs, optimizer, schedule, distillation from the teacher'),
  pruning: z
    .strictObject({
      sparsity: z.number().min(0).lt(1).describe('fraction of the Gemm/MatMul/Conv weights pruned at the end of the ramp'),
      scope: z.enum(['layer', 'global']).default('layer').describe('magnitudes compared within each layer or across all'),
      start: z.number().min(0).lt(1).default(0).describe('where the ramp starts, as a fraction of the run'),
      end: z.number().gt(0).max(1).default(0.75).describe('where the ramp reaches the target, as a fraction of the run (then training goes on with the final masks)'),
      frequency: z.number().int().positive().optional().describe(`steps between mask updates (k); default the ramp in ${DEFAULT_UPDATES} updates`),
    })
    .refine((p) => p.end > p.start, { message: 'end must come after start', path: ['end'] })
    .describe('gradual magnitude pruning on the AGP cubic schedule (Zhu & Gupta 2017)'),
  quantization: z
    .strictObject({
      ...qatSchemeShape,
      calibrator: calibratorSchema.prefault({ key: 'minmax' }).describe('static-PTQ calibrator that initializes the activation ranges'),
    })
    .superRefine((q, ctx) => {
      if (q.scales.key === 'learned' && q.ste === 'plain') ctx.addIssue({ code: 'custom', path: ['ste'], message: 'learned scales (LSQ) use the clipped straight-through estimator' });
    })
    .prefault({})
    .describe('fake quantization of weights and activations (QDQ with the straight-through estimator)'),
});

export type JointKwargs = z.infer<typeof jointKwargsSchema>;

export const jointStage: StageKind<JointKwargs> = {
  key: 'joint',
  summary: 'Joint pruning, quantization and distillation in one training run (like OpenVINO JPQD): AGP magnitude pruning, fake-quantized weights and activations, Hinton loss against the teacher; writes an int8 QDQ model with the pruned weights zero',
  inputs: [
    { name: 'model', kind: 'model', required: true, description: 'the student (trained, or its initialization)' },
    { name: 'teacher', kind: 'model', required: true, description: 'the float model it distills from' },
    { name: 'data', kind: 'data', required: true, description: 'training data (its first calibrationSamples samples initialize the ranges) and the test split the result is scored on' },
  ],
  outputs: ['model'],
  kwargs: jointKwargsSchema,
  async run(ctx, kwargs) {
    const started = performance.now();
    const student = ctx.models.model!.model;
    const data = stageData(ctx, student);
    if (!data) throw new RetortError('BAD_ARGUMENT', 'joint: needs the `data` input (inputs: { data: NAME })');
    const { training, pruning, quantization } = kwargs;
    // The schedule spans the epochs whatever budget (maxSteps) stops the run, so an interrupted run keeps it.
    const totalSteps = training.epochs * batchCount(data.train.length, training.batchSize, true);
    const frequency = pruning.frequency ?? Math.max(1, Math.floor(((pruning.end - pruning.start) * totalSteps) / DEFAULT_UPDATES));
    const schedule = agpOverRun(totalSteps, { sparsity: pruning.sparsity, start: pruning.start, end: pruning.end, frequency });
    const options = qatOptionsOf(quantization, { from: 'ptq', calibrator: calibratorOptionsOf(quantization.calibrator) });
    const result = await resumable(ctx, 'joint', resumePoint(ctx) !== undefined, (resume) => jointPruneQuantizeDistill({
      student,
      teacher: ctx.models.teacher?.model,
      kd: hintonOptionsOf(training),
      data: { train: data.train },
      trainer: trainerConfigOf(training, ctx, data.train.length),
      pruning: { schedule, scope: pruning.scope },
      quantization: options,
      calibration: modelCalibrationReader(student, data.train, { size: quantization.calibrationSamples, batchSize: QAT_CALIBRATION_BATCH }),
      resumeFrom: resume ? ctx.checkpoint : undefined,
      onPrune: (step, sparsity) => ctx.log(`joint: step ${step}: masks at ${(100 * sparsity).toFixed(2)}% sparsity`),
    }));
    let masked = 0;
    let weights = 0;
    for (const mask of result.masks.values()) {
      weights += mask.length;
      for (const m of mask) if (m === 0) masked++;
    }
    // Pruned by the masks; the int8 model may hold more zeros (small weights that round to code 0).
    const extra = { sparsityTarget: pruning.sparsity, maskedSparsity: weights === 0 ? 0 : masked / weights, schedule, options, distillation: training.distillation, steps: result.training.steps, lastLoss: result.training.lastLoss };
    const output = await finishCompressionStage(ctx, result.model, { data, started, extra });
    ctx.log(`joint: int8 QDQ model, ${(100 * (output.metrics.weightSparsity as number)).toFixed(2)}% of its weights zero`);
    return output;
  },
};
