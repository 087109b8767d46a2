/**
 * QAT as a pipeline of small stages: insert fake quantization (or low-bit weights) → train with the
 * Trainer, the fake-quant graph's settings merged into its config → export from the trained values.
 * Distillation from a float teacher (Polino et al. 2018) composes the same stages with a
 * distillation trainer opened above this layer (src/recipe), since one method module does not import another.
 */
import type { ModelProto } from '../../onnx/proto.js';
import { openPlainTrainer, type OpenTrainer } from '../../train/openTrainer.js';
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
  /** Opens the trainer (default: plain, on the config's loss); distillation from a float teacher comes in here. */
  open?: OpenTrainer;
  /**
   * A checkpoint the same run wrote (its `trainer.checkpoint`): the fake-quant model is rebuilt
   * from the same calibration, so the run continues exactly.
   */
  resumeFrom?: string;
}

export interface QatResult {
  fakeQuant: FakeQuantModel;
  training: TrainResult;
  /** The QDQ model. */
  model: ModelProto;
}

export async function quantizationAwareTraining(run: QatRun): Promise<QatResult> {
  const fakeQuant = await insertFakeQuantization(run.model, run.quantization, run.calibration);
  const { trainer, close } = await (run.open ?? openPlainTrainer)(fakeQuant.model, withQatSettings(run.trainer, fakeQuant.training), run.data, run.resumeFrom);
  try {
    const training = await trainer.fit();
    return { fakeQuant, training, model: exportQdq(fakeQuant, trainer.currentValues()) };
  } finally {
    await close();
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
