/**
 * Initial activation ranges of QAT: min/max of the first calibration batch through the float model
 * (what an observer sees on its first step), or the full static-PTQ calibration with a PTQ
 * calibrator (the hybrid PTQ → short QAT flow).
 */
import type { ModelProto } from '../../onnx/proto.js';
import type { TensorRange } from '../calibration/calibrator.js';
import { collectStatistics } from '../calibration/collect.js';
import type { CalibrationDataReader } from '../calibration/reader.js';
import { calibratorFor } from '../calibration/registry.js';
import { RetortError } from '../../util/errors.js';
import type { QatOptions } from './options.js';
import { bitsRange } from './ranges.js';

function firstBatch(reader: CalibrationDataReader): CalibrationDataReader {
  let done = false;
  return {
    next() {
      if (done) return null;
      done = true;
      return reader.next();
    },
  };
}

export async function initialRanges(model: ModelProto, tensors: readonly string[], reader: CalibrationDataReader, options: QatOptions): Promise<Map<string, TensorRange>> {
  const calibratorOptions = options.init.from === 'ptq' ? options.init.calibrator : { method: 'minmax' as const };
  const calibrator = calibratorFor(calibratorOptions);
  const stats = await collectStatistics(model, tensors, options.init.from === 'ptq' ? reader : firstBatch(reader), { kind: calibrator.statistics });
  const { qmin, qmax } = bitsRange(options.activations.type, options.activations.symmetric, options.bits);
  const ranges = new Map<string, TensorRange>();
  for (const t of tensors) {
    const s = stats.get(t);
    if (!s) throw new RetortError('DATA_INVALID', `Calibration produced no statistics for activation "${t}" (empty calibration set?)`);
    const nonNegative = s.kind === 'minmax' ? s.min >= 0 : s.histogram.nonNegative;
    // Levels on the positive side, as static PTQ computes them for threshold searches.
    const span = qmax - qmin + 1;
    const levels = nonNegative && !options.activations.symmetric ? span : Math.ceil(span / 2);
    ranges.set(t, calibrator.range(s, calibratorOptions, { levels }));
  }
  return ranges;
}
