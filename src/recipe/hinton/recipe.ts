/**
 * The MNIST experiment of Hinton, Vinyals & Dean (2015), "Distilling the Knowledge in a Neural
 * Network", section 3, as data: a 784-1200-1200-10 teacher regularized with dropout, max-norm and
 * 2-pixel jitter; a 784-800-800-10 student trained on hard labels; the same student trained on the
 * teacher's soft targets at temperature 20 on the unjittered training set. The paper gives no
 * optimizer or epoch counts, so those are this recipe's own, stated here and in BENCHMARKS.md.
 * A recipe is validated by a schema and hashed per stage, so a finished stage is reused only by a
 * run that would have trained it the same way.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

const optimizerSchema = z.object({
  kind: z.literal('sgd'),
  momentum: z.number().min(0).lt(1),
  nesterov: z.boolean(),
  weightDecay: z.number().min(0),
});

/** One training stage: the architecture (models/spec.ts syntax), epochs and the update rule. */
const trainingSchema = z.object({
  arch: z.string().min(1),
  epochs: z.number().int().positive(),
  batchSize: z.number().int().positive(),
  optimizer: optimizerSchema,
  /** Peak learning rate of a cosine schedule over the whole stage, after `warmupEpochs` of linear warmup. */
  lr: z.number().positive(),
  warmupEpochs: z.number().int().min(0),
  /** Max-norm on every unit's incoming weights (Srivastava et al. 2014); null for none. */
  maxNorm: z.number().positive().nullable(),
  /** Jitter of the training images by up to this many pixels (Hinton et al. 2015); 0 for none. */
  jitter: z.number().int().min(0),
});

export const hintonRecipeSchema = z.object({
  name: z.string().min(1),
  /** Train on the first `limitTrain` images only (tests, quick looks); null for all 60,000. */
  limitTrain: z.number().int().positive().nullable(),
  /**
   * Hold out the last `validation` training images and report errors on them instead of the test
   * set: the split the recipe is tuned on. 0 for the real run (train on all, report test).
   */
  validation: z.number().int().min(0),
  teacher: trainingSchema,
  /** The student on hard labels only, no regularization (the paper's 146-error baseline). */
  hardStudent: trainingSchema,
  /** The same student on alpha * CE + (1 - alpha) * T^2 * KL against the teacher (distill/hintonLoss.ts). */
  distilledStudent: trainingSchema.extend({ temperature: z.number().positive(), alpha: z.number().min(0).max(1) }),
  latency: z.object({
    /** Timed runs and warm-up runs at batch 1 (p50 latency). */
    batch1: z.object({ runs: z.number().int().positive(), warmup: z.number().int().min(0) }),
    /** Timed runs and warm-up runs at the throughput batch size. */
    throughput: z.object({ batchSize: z.number().int().positive(), runs: z.number().int().positive(), warmup: z.number().int().min(0) }),
  }),
});

export type HintonRecipe = z.infer<typeof hintonRecipeSchema>;
export type TrainingRecipe = HintonRecipe['teacher'];
export type DistillationRecipe = HintonRecipe['distilledStudent'];

/** Throws a RetortError-free zod error listing every problem; callers wrap it. */
export function parseHintonRecipe(value: unknown): HintonRecipe {
  return hintonRecipeSchema.parse(value);
}

const sgd = (nesterov = true) => ({ kind: 'sgd' as const, momentum: 0.9, nesterov, weightDecay: 0 });

/**
 * The teacher of the paper: 1200-1200 ReLU with dropout 0.2 on the pixels and 0.5 on the hidden
 * units (Hinton et al. 2012, Srivastava et al. 2014), max-norm 3.5 on every unit's incoming weights,
 * inputs jittered by up to 2 pixels.
 */
const teacherArch = 'mlp:1200,1200,dropout=0.5,input_dropout=0.2';
const studentArch = 'mlp:800,800';

const latency = { batch1: { runs: 300, warmup: 30 }, throughput: { batchSize: 128, runs: 40, warmup: 5 } };

/** About 10 minutes on 2 cores: long enough for the ordering teacher < distilled < hard-label. */
export const DEFAULT_RECIPE: HintonRecipe = {
  name: 'default',
  limitTrain: null,
  validation: 0,
  teacher: { arch: teacherArch, epochs: 24, batchSize: 128, optimizer: sgd(), lr: 0.1, warmupEpochs: 1, maxNorm: 3.5, jitter: 2 },
  hardStudent: { arch: studentArch, epochs: 12, batchSize: 128, optimizer: sgd(), lr: 0.05, warmupEpochs: 0, maxNorm: null, jitter: 0 },
  distilledStudent: {
    arch: studentArch,
    epochs: 12,
    batchSize: 128,
    optimizer: sgd(),
    lr: 0.05,
    warmupEpochs: 0,
    maxNorm: null,
    jitter: 0,
    temperature: 20,
    alpha: 0.1,
  },
  latency,
};

/** The paper-scale protocol: a long-trained teacher (dropout nets keep improving for hundreds of epochs) and 60-epoch students. */
export const FULL_RECIPE: HintonRecipe = {
  ...DEFAULT_RECIPE,
  name: 'full',
  teacher: { ...DEFAULT_RECIPE.teacher, epochs: 120 },
  hardStudent: { ...DEFAULT_RECIPE.hardStudent, epochs: 60 },
  distilledStudent: { ...DEFAULT_RECIPE.distilledStudent, epochs: 60 },
};

export const RECIPES = { default: DEFAULT_RECIPE, full: FULL_RECIPE } as const;

/** The stages that train a model, in the order they run. */
export const TRAINING_STAGES = ['teacher', 'hardStudent', 'distilledStudent'] as const;
export type TrainingStage = (typeof TRAINING_STAGES)[number];

/**
 * What decides a stage's result: its own settings, the data it sees and the seed, plus the hash of
 * every stage it reads (the distilled student reads the teacher).
 */
export function stageHash(recipe: HintonRecipe, stage: TrainingStage, seed: number): string {
  const data = { limitTrain: recipe.limitTrain, validation: recipe.validation };
  const upstream = stage === 'distilledStudent' ? stageHash(recipe, 'teacher', seed) : null;
  const decisive = { stage, settings: recipe[stage], data, seed, upstream };
  return createHash('sha256').update(JSON.stringify(decisive)).digest('hex').slice(0, 16);
}

/** A hash of the whole recipe (recorded in results.json). */
export function recipeHash(recipe: HintonRecipe): string {
  return createHash('sha256').update(JSON.stringify(recipe)).digest('hex').slice(0, 16);
}
