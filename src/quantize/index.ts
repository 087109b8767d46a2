/** Quantization: one entry point over the four methods, plus the reusable pieces. */
import type { ModelProto } from '../onnx/proto.js';
import { RetortError } from '../util/errors.js';
import type { CalibrationDataReader } from './calibration/reader.js';
import { quantizeDynamic } from './dynamic.js';
import { convertToFp16 } from './fp16.js';
import { checkQuantizeOptions, type QuantizeOptions } from './options.js';
import { quantizeStatic } from './static.js';
import { quantizeWeightOnly } from './weightOnly.js';

export * from './affine.js';
export * from './qdq.js';
export * from './options.js';
export * from './choices.js';
export * from './blockQuant.js';
export type { CalibratorOptions, TensorRange } from './calibration/calibrator.js';
export { datasetCalibrationReader, modelCalibrationReader, arrayCalibrationReader, type CalibrationDataReader } from './calibration/reader.js';
export { quantizeStatic, planStatic } from './static.js';
export { quantizeDynamic } from './dynamic.js';
export { quantizeWeightOnly } from './weightOnly.js';
export { convertToFp16, fp32Ops } from './fp16.js';
export { quantHandlers, type QuantHandler } from './handlers.js';
export * as qat from './qat/index.js';

/** Quantize with the given method; static and GPTQ need a calibration reader. */
export async function quantizeModel(model: ModelProto, options: QuantizeOptions, reader?: CalibrationDataReader): Promise<ModelProto> {
  checkQuantizeOptions(options);
  switch (options.method) {
    case 'static':
      if (!reader) throw new RetortError('BAD_ARGUMENT', 'Static quantization needs calibration data (--calibration-data)');
      return (await quantizeStatic(model, options, reader)).model;
    case 'dynamic':
      return quantizeDynamic(model, options).model;
    case 'weight-only':
      return (await quantizeWeightOnly(model, options, reader)).model;
    case 'fp16':
      return convertToFp16(model, options);
  }
}
export { outputAgreement, type OutputAgreement } from './agreement.js';
export * from './presets/transformersjs.js';
