/** The training task of the data's kind (classification unless the data says otherwise). */
import { classificationTask, type ClassificationTaskOptions } from './classification.js';
import { languageModelTask } from './languageModeling.js';
import type { TrainerData, TrainingTask } from './task.js';

export type { Augmentation, ClassificationTaskOptions } from './classification.js';
export type { BatchContent, BatchSlots, EvaluationSplit, LanguageModelData, TaskBatch, TaskKind, TrainData, TrainerData, TrainingTask, WindowSource } from './task.js';
export { isTokenSequence } from './task.js';

export function trainingTask(data: TrainerData, options: ClassificationTaskOptions): TrainingTask {
  return data.kind === 'languageModeling' ? languageModelTask(data, options) : classificationTask(data, options);
}
