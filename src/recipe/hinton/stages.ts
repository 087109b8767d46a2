/**
 * The stages of the Hinton et al. (2015) MNIST experiment, each a function from its inputs (recipe,
 * seed, data, the models it reads) to an artifact (an ONNX model in the demo folder) and metrics:
 *
 *   trainTeacher ──► distillStudent (soft targets at temperature T, transfer set without jitter)
 *   trainHardStudent (hard labels only)
 *   measure (each model: parameters, file size, errors, ORT latency)
 */
import { buildArchitecture } from '../../models/spec.js';
import type { ModelProto } from '../../onnx/proto.js';
import { createDistillationTrainer } from '../../distill/distill.js';
import type { ProgressMode } from '../../train/progress.js';
import { Trainer, type TrainData, type TrainerConfig } from '../../train/trainer.js';
import { batchCount } from '../../data/batches.js';
import { stageHash, type HintonRecipe, type TrainingStage } from './recipe.js';
import { runTrainingJob, stageFiles, trainerConfig, type OpenedTrainer, type TrainedStage } from './trainStage.js';

export { measure, type ModelMeasurement } from './measure.js';

export interface StageContext {
  recipe: HintonRecipe;
  seed: number;
  data: TrainData;
  /** The demo folder: each stage writes its ONNX, metrics and checkpoint here. */
  dir: string;
  threads: number;
  progress: ProgressMode;
  log: (line: string) => void;
}

/**
 * One stage's resumable training job: its architecture built at the run's seed (which decides the
 * initial weights, the shuffles, the dropout masks and the jitter) and its Trainer config, handed to
 * `open` to make the stage's trainer.
 */
async function runStage(
  ctx: StageContext,
  stage: TrainingStage,
  open: (model: ModelProto, config: Omit<TrainerConfig, 'loss'>, resumeFrom: string | undefined) => Promise<OpenedTrainer>,
): Promise<TrainedStage> {
  const recipe = ctx.recipe[stage];
  const files = stageFiles(ctx.dir, stage);
  const model = buildArchitecture(recipe.arch, { seed: ctx.seed });
  const stepsPerEpoch = batchCount(ctx.data.train.length, recipe.batchSize, true);
  const config = trainerConfig(recipe, model, { seed: ctx.seed, stepsPerEpoch, threads: ctx.threads, progress: ctx.progress, checkpoint: files.checkpoint });
  return runTrainingJob({
    stage,
    hash: stageHash(ctx.recipe, stage, ctx.seed),
    files,
    recipe,
    seed: ctx.seed,
    data: ctx.data,
    log: ctx.log,
    open: (resumeFrom) => open(model, config, resumeFrom),
  });
}

/** Plain supervised training of one stage's architecture on hard labels (the Trainer's default loss). */
function trainSupervised(ctx: StageContext, stage: Exclude<TrainingStage, 'distilledStudent'>): Promise<TrainedStage> {
  return runStage(ctx, stage, async (model, config, resumeFrom) => {
    const trainer = await Trainer.create(model, config, ctx.data, { resumeFrom });
    return { trainer, close: () => trainer.dispose() };
  });
}

/** The teacher: 1200-1200 with dropout, max-norm and jittered inputs (the paper's 67-error net). */
export function trainTeacher(ctx: StageContext): Promise<TrainedStage> {
  return trainSupervised(ctx, 'teacher');
}

/** The student on hard labels alone, no regularization (the paper's 146-error baseline). */
export function trainHardStudent(ctx: StageContext): Promise<TrainedStage> {
  return trainSupervised(ctx, 'hardStudent');
}

/**
 * The same student architecture and initial weights, trained on alpha * CE + (1 - alpha) * T^2 *
 * KL(teacher_T || student_T) (distill/hintonLoss.ts). The transfer set is the training set without
 * jitter, so the teacher's logits are computed once and cached (the paper's 74-error result).
 */
export function distillStudent(ctx: StageContext, teacher: ModelProto): Promise<TrainedStage> {
  const recipe = ctx.recipe.distilledStudent;
  return runStage(ctx, 'distilledStudent', async (student, config, resumeFrom) => {
    const kd = { temperature: recipe.temperature, alpha: recipe.alpha };
    const { trainer, close, teacherSignal } = await createDistillationTrainer({ teacher, student, data: ctx.data, trainer: config, kd }, resumeFrom);
    return { trainer, close, teacherSignal };
  });
}
