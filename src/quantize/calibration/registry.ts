/** The calibrators by name (`--calibrator NAME`), registered explicitly in one list. */
import { Registry } from '../../util/registry.js';
import type { Calibrator, CalibratorOptions } from './calibrator.js';
import { entropyCalibrator } from './entropy.js';
import { minMaxCalibrator } from './minmax.js';
import { mseCalibrator } from './mse.js';
import { percentileCalibrator } from './percentile.js';

export const calibrators = new Registry<Calibrator>('calibrator')
  .register('minmax', minMaxCalibrator as Calibrator)
  .register('percentile', percentileCalibrator as Calibrator)
  .register('entropy', entropyCalibrator as Calibrator)
  .register('mse', mseCalibrator as Calibrator);

export function calibratorFor(options: CalibratorOptions): Calibrator {
  return calibrators.get(options.method);
}
