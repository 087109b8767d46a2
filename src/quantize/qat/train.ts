/**
 * QAT as a pipeline of small stages: insert fake quantization (or low-bit weights) → train with the
 * Trainer, the fake-quant graph's settings merged into its config → export from the trained values.
 * Distillation from a float teacher (Polino et al. 2018) composes the same stages with a
 * distillation trainer above this layer (the CLI), since one method module does not import another.
 */
import type { ModelProto } from '../../onnx/proto.js';
import { Trainer, type TrainData, type TrainerConfig, type TrainResult } from '../../train/trainer.js';
import type { CalibrationDataReader } from '../calibration/reader.js';
import { exportQdq } from './exportQdq.js';
import { exportLowBit, type LowBitExport } from './lowBitExport.js';
import type { QatOptions } from './options.js';
import { insertFakeQuantization, type FakeQuantModel, type QatTrainerSettings } from './prepare.js';
import { insertLowBitWeights, type LowBitOptions } from './ternary.js';

/** A Trainer config with the fake-quant graph's stop-gradients, observers, step sizes and bounds added. */
export function withQatSettings<C extends Omit<TrainerConfig, 'loss'>>(config: C, settings: QatTrainerSettings): C {
  return {
    ...config,
    stopGradients: [...(config.stopGradients ?? []), ...settings.stopGradients],
    buffers: [...(config.buffers ?? []), ...settings.buffers],
    extraParameters: [...(config.extraParameters ?? []), ...settings.extraParameters],
    parameterBounds: [...(config.parameterBounds ?? []), ...settings.parameterBounds],
  };
}

export interface QatRun {
  model: ModelProto;
  data: TrainData;
  trainer: TrainerConfig;
  quantization: QatOptions;
  calibration: CalibrationDataReader;
}

export interface QatResult {
  fakeQuant: FakeQuantModel;
  training: TrainResult;
  /** The QDQ model. */
  model: ModelProto;
}

export async function quantizationAwareTraining(run: QatRun): Promise<QatResult> {
  const fakeQuant = await insertFakeQuantization(run.model, run.quantization, run.calibration);
  const trainer = await Trainer.create(fakeQuant.model, withQatSettings(run.trainer, fakeQuant.training), run.data);
  try {
    const training = await trainer.fit();
    return { fakeQuant, training, model: exportQdq(fakeQuant, trainer.currentValues()) };
  } finally {
    await trainer.dispose();
  }
}

export interface LowBitRun {
  model: ModelProto;
  data: TrainData;
  trainer: TrainerConfig;
  lowBit: LowBitOptions;
}

export async function trainLowBitWeights(run: LowBitRun): Promise<LowBitExport & { training: TrainResult }> {
  const lowBit = insertLowBitWeights(run.model, run.lowBit);
  const trainer = await Trainer.create(lowBit.model, withQatSettings(run.trainer, lowBit.training), run.data);
  try {
    const training = await trainer.fit();
    return { ...exportLowBit(lowBit, trainer.currentValues()), training };
  } finally {
    await trainer.dispose();
  }
}
