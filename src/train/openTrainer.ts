/**
 * How a method opens the Trainer it trains with. Methods (pruning schedules, QAT) take an
 * `OpenTrainer` instead of calling `Trainer.create`, so a layer above them can hand in one that
 * trains on another objective — distillation from a teacher — without one method module importing
 * another (DESIGN.md, "Layers"). The default opens a plain Trainer on the config's own loss.
 */
import type { ModelProto } from '../onnx/proto.js';
import { Trainer, type TrainData, type TrainerConfig, type TrainResult } from './trainer.js';

export interface OpenedTrainer {
  trainer: Trainer;
  /** Disposes the trainer and whatever else the opener holds (a teacher session). */
  close(): Promise<void>;
}

/** Opens a trainer on `model`, continuing from the checkpoint file `resumeFrom` when given. */
export type OpenTrainer = (model: ModelProto, config: TrainerConfig, data: TrainData, resumeFrom?: string) => Promise<OpenedTrainer>;

export const openPlainTrainer: OpenTrainer = async (model, config, data, resumeFrom) => {
  const trainer = await Trainer.create(model, config, data, { resumeFrom });
  return { trainer, close: () => trainer.dispose() };
};

/** Trains to the end of the config (epochs, maxSteps) and closes the trainer; resumes from `resumeFrom` when given. */
export async function trainToEnd(model: ModelProto, config: TrainerConfig, data: TrainData, options: { open?: OpenTrainer; resumeFrom?: string } = {}): Promise<TrainResult> {
  const { trainer, close } = await (options.open ?? openPlainTrainer)(model, config, data, options.resumeFrom);
  try {
    return await trainer.fit();
  } finally {
    await close();
  }
}
