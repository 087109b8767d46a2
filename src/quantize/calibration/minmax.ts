/** MinMax calibration: the range is the smallest and largest value seen over the calibration set. */
import { type Calibrator, type Statistics, type TensorRange } from './calibrator.js';

export function minMaxRange(statistics: Statistics): TensorRange {
  if (statistics.kind === 'minmax') return { min: statistics.min, max: statistics.max };
  return { min: statistics.histogram.min, max: statistics.histogram.max };
}

export const minMaxCalibrator: Calibrator<{ method: 'minmax' }> = {
  statistics: 'minmax',
  range: (statistics) => minMaxRange(statistics),
};
