/**
 * Compression stages that follow distillation in the demo, each reading the model of the stage
 * before it and writing a new ONNX that is measured like the others: magnitude pruning with a masked
 * fine-tune on the distillation objective (Han et al. 2015, "Learning both Weights and Connections"),
 * then static int8 post-training quantization of the pruned student (QDQ, per-channel weights; Jacob
 * et al. 2018). A new stage slots into COMPRESSION_STAGES with its name in recipe.ts.
 */
import { batchCount } from '../../data/batches.js';
import { createDistillationTrainer } from '../../distill/distill.js';
import { saveModel } from '../../onnx/model.js';
import type { ModelProto } from '../../onnx/proto.js';
import { magnitudePrune } from '../../prune/prune.js';
import { datasetCalibrationReader } from '../../quantize/calibration/reader.js';
import type { StaticOptions } from '../../quantize/options.js';
import { quantizeStatic } from '../../quantize/static.js';
import { writeFileAtomic } from '../../util/atomicWrite.js';
import { stageHash, type CompressionStageName, type HintonRecipe, type TrainingRecipe } from './recipe.js';
import type { StageContext } from './stages.js';
import { runTrainingJob, stageFiles, trainerConfig, type StageMetrics, type StageRecord } from './trainStage.js';

export interface CompressionInput {
  /** The model of the stage this one reads (the distilled student, or the previous compression stage's). */
  model: ModelProto;
  teacher: ModelProto;
  ctx: StageContext;
}

export interface QuantizedStageMetrics extends StageRecord {
  settings: HintonRecipe['prunedInt8'];
  options: StaticOptions;
  /** Nodes given QDQ weights, and activation tensors given QDQ pairs. */
  quantizedNodes: number;
  quantizedActivations: number;
  timings: { seconds: number };
}

export interface CompressionStage {
  stage: CompressionStageName;
  /** What the table row adds to the distilled student's label, e.g. "pruned 80%". */
  label: (recipe: HintonRecipe) => string;
  /** The settings as the log line states them. */
  describe: (recipe: HintonRecipe) => string;
  /** Writes the stage's model and its "complete" metrics file (a training stage also resumes). */
  run: (input: CompressionInput) => Promise<{ model: ModelProto; metrics: StageMetrics | QuantizedStageMetrics }>;
}

/** The masked fine-tune as a training recipe: the student's architecture, no warmup, max-norm or jitter. */
export function fineTuneRecipe(recipe: HintonRecipe): TrainingRecipe {
  const p = recipe.pruned;
  return { arch: recipe.distilledStudent.arch, epochs: p.epochs, batchSize: p.batchSize, optimizer: p.optimizer, lr: p.lr, warmupEpochs: 0, maxNorm: null, jitter: 0 };
}

const percent = (x: number): string => `${+(100 * x).toFixed(2)}%`;

/**
 * Prune the distilled student's weight matrices by magnitude, then fine-tune with the masks in the
 * training graph (pruned weights stay exactly zero) on the distilled student's own objective,
 * alpha * CE + (1 - alpha) * T^2 * KL against the same teacher: the student keeps learning from the
 * soft targets while it recovers. Resumable like the training stages (the masks follow from the
 * distilled student, so a resumed run rebuilds the same ones).
 */
async function pruneAndFineTune({ model, teacher, ctx }: CompressionInput): Promise<{ model: ModelProto; metrics: StageMetrics }> {
  const { sparsity, scope } = ctx.recipe.pruned;
  const { temperature, alpha } = ctx.recipe.distilledStudent;
  const pruned = magnitudePrune(model, { sparsity, scope });
  let zeros = 0;
  let weights = 0;
  for (const mask of pruned.masks.values()) {
    weights += mask.length;
    for (const m of mask) if (m === 0) zeros++;
  }
  ctx.log(`pruned: ${zeros} of ${weights} weights in ${pruned.masks.size} weight matrices set to zero (${percent(zeros / weights)}, ${scope} threshold)`);
  const recipe = fineTuneRecipe(ctx.recipe);
  const files = stageFiles(ctx.dir, 'pruned');
  const stepsPerEpoch = batchCount(ctx.data.train.length, recipe.batchSize, true);
  const config = trainerConfig(recipe, pruned.model, { seed: ctx.seed, stepsPerEpoch, threads: ctx.threads, progress: ctx.progress, checkpoint: files.checkpoint });
  return runTrainingJob({
    stage: 'pruned',
    hash: stageHash(ctx.recipe, 'pruned', ctx.seed),
    files,
    recipe,
    seed: ctx.seed,
    data: ctx.data,
    log: ctx.log,
    open: async (resumeFrom) => {
      const run = { teacher, student: pruned.model, data: ctx.data, trainer: { ...config, masks: pruned.masks }, kd: { temperature, alpha } };
      return createDistillationTrainer(run, resumeFrom);
    },
  });
}

/** The static int8 scheme of the demo; the calibrator's percentile comes from the recipe. */
export function int8Options(recipe: HintonRecipe): StaticOptions {
  return {
    method: 'static',
    activations: { type: 'uint8', symmetric: false },
    // Symmetric weights keep pruned zeros exactly zero (zero point 0), so the sparsity survives.
    weights: { symmetric: true, granularity: 'per-channel' },
    calibrator: { method: 'percentile', percentile: recipe.prunedInt8.percentile },
    bias: 'int32',
  };
}

async function quantizeInt8({ model, ctx }: CompressionInput): Promise<{ model: ModelProto; metrics: QuantizedStageMetrics }> {
  const t0 = performance.now();
  const settings = ctx.recipe.prunedInt8;
  const options = int8Options(ctx.recipe);
  const inputName = model.graph!.input[0]!.name;
  // The first training images, in file order: calibration is deterministic and never sees evaluation data.
  const reader = datasetCalibrationReader(ctx.data.train, { inputName, size: settings.calibrationImages, batchSize: 128 });
  const result = await quantizeStatic(model, options, reader);
  const files = stageFiles(ctx.dir, 'prunedInt8');
  saveModel(result.model, files.model);
  const metrics: QuantizedStageMetrics = {
    format: 'retort-demo-stage',
    version: 1,
    stage: 'prunedInt8',
    hash: stageHash(ctx.recipe, 'prunedInt8', ctx.seed),
    status: 'complete',
    seed: ctx.seed,
    settings: { ...settings, calibrationImages: Math.min(settings.calibrationImages, ctx.data.train.length) },
    options,
    quantizedNodes: result.plan.nodes.length,
    quantizedActivations: result.plan.activations.size,
    timings: { seconds: (performance.now() - t0) / 1000 },
  };
  // The model first, then "complete": a metrics file that says complete always has its model.
  writeFileAtomic(files.metrics, JSON.stringify(metrics, null, 2) + '\n');
  return { model: result.model, metrics };
}

export const COMPRESSION_STAGES: readonly CompressionStage[] = [
  {
    stage: 'pruned',
    label: (r) => `pruned ${percent(r.pruned.sparsity)}`,
    describe: (r) =>
      `magnitude pruning of ${percent(r.pruned.sparsity)} of the weights (${r.pruned.scope} threshold), then ${r.pruned.epochs} epoch${r.pruned.epochs === 1 ? '' : 's'} of masked ` +
      `distillation (T ${r.distilledStudent.temperature}, alpha ${r.distilledStudent.alpha}) at lr ${r.pruned.lr} cosine`,
    run: pruneAndFineTune,
  },
  {
    stage: 'prunedInt8',
    label: (r) => `pruned ${percent(r.pruned.sparsity)} + int8`,
    describe: (r) =>
      `static int8 QDQ of the pruned student: per-channel symmetric int8 weights, uint8 activations calibrated at percentile ${r.prunedInt8.percentile} ` +
      `on ${r.prunedInt8.calibrationImages} training images, int32 biases`,
    run: quantizeInt8,
  },
];
