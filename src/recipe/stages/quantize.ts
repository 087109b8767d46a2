/**
 * The `quantize` stage: post-training quantization as `retort quantize` does it, through the same
 * functions (quantizeOptionsFrom, quantizeModel): static QDQ int8 with a calibrator over the first
 * `calibrationSamples` training samples of the data input, dynamic int8, weight-only 4/8-bit
 * MatMulNBits (round-to-nearest or GPTQ), or fp16. Writes model.onnx; metrics as every compression stage.
 */
import { z } from 'zod';
import { quantizeModel } from '../../quantize/index.js';
import { CALIBRATION_BATCH_SIZE, quantizeOptionsFrom, type QuantizeChoices } from '../../quantize/choices.js';
import { modelCalibrationReader } from '../../quantize/calibration/reader.js';
import { RetortError } from '../../util/errors.js';
import type { StageKind } from '../pipeline/stageKind.js';
import { finishCompressionStage, stageData } from './compressionOutput.js';
import { calibrationSamplesSchema, calibratorOptionsOf, calibratorSchema, exclusionsOf, exclusionsSchema } from './quantizeKwargs.js';

const symmetric = z.boolean().default(true).describe('weights symmetric around zero (false: with a zero point)');
const granularity = z.enum(['per-channel', 'per-tensor']).default('per-channel').describe('one weight scale per output channel, or per tensor');

const quantizeKwargsSchema = z.discriminatedUnion('method', [
  z.strictObject({
    method: z.literal('static'),
    calibrator: calibratorSchema.prefault({ key: 'minmax' }).describe('{ key: minmax | percentile | entropy | mse, kwargs }'),
    calibrationSamples: calibrationSamplesSchema(512),
    activationType: z.enum(['uint8', 'int8']).default('uint8').describe('uint8 (asymmetric) or int8 (symmetric) activations'),
    symmetric,
    granularity,
    exclude: exclusionsSchema,
  }).describe('QDQ int8 weights and 8-bit activations from calibrated ranges, int32 biases'),
  z.strictObject({ method: z.literal('dynamic'), symmetric, granularity, exclude: exclusionsSchema }).describe('int8 weights, activations quantized at run time (DynamicQuantizeMatMul)'),
  z.strictObject({
    method: z.literal('weight-only'),
    bits: z.union([z.literal(4), z.literal(8)]).default(4).describe('bits per weight'),
    blockSize: z.union([z.literal(32), z.literal(64), z.literal(128)]).default(32).describe('weights per scale along K'),
    symmetric,
    gptq: z.boolean().default(false).describe('GPTQ error compensation (Frantar et al. 2023) instead of round-to-nearest; calibrates on the data input'),
    calibrationSamples: calibrationSamplesSchema(512),
    exclude: exclusionsSchema,
  }).describe('MatMulNBits 4/8-bit blocks (as transformers.js q4 models)'),
  z.strictObject({ method: z.literal('fp16'), exclude: exclusionsSchema }).describe('float16 weights and compute, float32 inputs and outputs'),
]);

export type QuantizeKwargs = z.infer<typeof quantizeKwargsSchema>;

function choicesOf(k: QuantizeKwargs): QuantizeChoices {
  const exclude = exclusionsOf(k.exclude);
  switch (k.method) {
    case 'static':
      return { method: k.method, exclude, symmetric: k.symmetric, granularity: k.granularity, activationType: k.activationType, calibrator: calibratorOptionsOf(k.calibrator) };
    case 'dynamic':
      return { method: k.method, exclude, symmetric: k.symmetric, granularity: k.granularity };
    case 'weight-only':
      return { method: k.method, exclude, symmetric: k.symmetric, bits: k.bits, blockSize: k.blockSize, gptq: k.gptq };
    case 'fp16':
      return { method: k.method, exclude };
  }
}

export const quantizeStage: StageKind<QuantizeKwargs> = {
  key: 'quantize',
  summary: 'Post-training quantization as `retort quantize`: static QDQ int8 (minmax, percentile, entropy or MSE calibration), dynamic int8, weight-only 4/8-bit (RTN or GPTQ), or fp16',
  inputs: [
    { name: 'model', kind: 'model', required: true, description: 'the float ONNX model' },
    { name: 'data', kind: 'data', required: false, description: 'calibration samples (static, GPTQ: the first calibrationSamples training samples) and the test split the result is scored on' },
  ],
  outputs: ['model'],
  kwargs: quantizeKwargsSchema,
  async run(ctx, kwargs) {
    const started = performance.now();
    const model = ctx.models.model!.model;
    const data = stageData(ctx, model);
    const { options, needsCalibration } = quantizeOptionsFrom(choicesOf(kwargs));
    if (needsCalibration && !data) throw new RetortError('BAD_ARGUMENT', `quantize: method ${kwargs.method}${kwargs.method === 'weight-only' ? ' with gptq' : ''} calibrates on the \`data\` input (inputs: { data: NAME })`);
    const samples = 'calibrationSamples' in kwargs && needsCalibration ? Math.min(kwargs.calibrationSamples, data!.train.length) : 0;
    const reader = needsCalibration ? modelCalibrationReader(model, data!.train, { size: samples, batchSize: CALIBRATION_BATCH_SIZE }) : undefined;
    const quantized = await quantizeModel(model, options, reader);
    ctx.log(`quantize: ${kwargs.method}${samples > 0 ? `, calibrated on ${samples} samples` : ''}`);
    return finishCompressionStage(ctx, quantized, { data, started, extra: { method: kwargs.method, options, calibrationSamples: samples } });
  },
};
