/**
 * Training as the compression stages take it (`prune`, `factorize`, `qat`, `joint`): epochs, batch
 * size, the optimizer and learning-rate schedule as `{key, kwargs}` components (torchdistill's
 * style), the distillation loss used when the stage has a teacher, and how often to checkpoint.
 * `trainerConfigOf` turns validated kwargs into the Trainer's config for a dataset size.
 */
import { z } from 'zod';
import { batchCount } from '../../data/batches.js';
import type { HintonOptions } from '../../distill/hintonLoss.js';
import type { OptimizerSpec } from '../../train/optimizers/index.js';
import type { ScheduleSpec } from '../../train/schedules.js';
import type { TrainerConfig } from '../../train/trainer.js';
import type { StageContext } from '../pipeline/stageKind.js';

const lr = (value: number) => z.number().positive().default(value).describe('peak learning rate');
const weightDecay = (value: number) => z.number().min(0).default(value);

export const optimizerSchema = z
  .discriminatedUnion('key', [
    z.strictObject({
      key: z.literal('sgd'),
      kwargs: z
        .strictObject({
          lr: lr(0.01),
          momentum: z.number().min(0).lt(1).default(0.9).describe('heavy-ball momentum'),
          nesterov: z.boolean().default(false).describe('Nesterov momentum (needs momentum > 0)'),
          weightDecay: weightDecay(0).describe('L2 penalty added to the gradient'),
        })
        .prefault({}),
    }).describe('SGD with momentum'),
    z.strictObject({
      key: z.literal('adam'),
      kwargs: z.strictObject({ lr: lr(0.001), weightDecay: weightDecay(0).describe('L2 penalty added to the gradient') }).prefault({}),
    }).describe('Adam (Kingma & Ba 2015)'),
    z.strictObject({
      key: z.literal('adamw'),
      kwargs: z.strictObject({ lr: lr(0.001), weightDecay: weightDecay(0.01).describe('decoupled weight decay (Loshchilov & Hutter 2019)') }).prefault({}),
    }).describe('AdamW'),
  ])
  .superRefine((o, ctx) => {
    if (o.key === 'sgd' && o.kwargs.nesterov && o.kwargs.momentum === 0) ctx.addIssue({ code: 'custom', path: ['kwargs', 'nesterov'], message: 'Nesterov momentum needs momentum > 0' });
  });

export const scheduleSchema = z.discriminatedUnion('key', [
  z.strictObject({ key: z.literal('constant'), kwargs: z.strictObject({}).prefault({}) }).describe('the optimizer lr throughout'),
  z.strictObject({
    key: z.literal('cosine'),
    kwargs: z
      .strictObject({
        warmupEpochs: z.number().min(0).default(0).describe('linear warmup from 0, in epochs (fractions allowed)'),
        minLr: z.number().min(0).default(0).describe('the rate cosine annealing ends at'),
      })
      .prefault({}),
  }).describe('cosine annealing over the run (Loshchilov & Hutter 2017)'),
  z.strictObject({
    key: z.literal('step'),
    kwargs: z
      .strictObject({
        stepEpochs: z.number().int().positive().default(1).describe('epochs between decays'),
        gamma: z.number().positive().default(0.1).describe('factor applied at each decay'),
      })
      .prefault({}),
  }).describe('step decay (PyTorch StepLR, in epochs)'),
]);

/** The Hinton et al. 2015 loss settings; `alpha` defaults per stage (`retort qat` uses 0.5, the demo's fine-tune 0.1). */
export function distillationSchema(alpha: number) {
  return z
    .strictObject({
      temperature: z.number().positive().default(4).describe('softmax temperature T of the soft targets'),
      alpha: z.number().min(0).max(1).default(alpha).describe('weight of the hard-label cross-entropy; the T^2-scaled KL term gets 1 - alpha'),
    })
    .describe('Hinton et al. 2015 loss against the `teacher` input (used only when the stage has one)');
}

/** A stage's training kwargs; `defaults.alpha` is the distillation weight of the hard labels when none is given. */
export function trainingSchema(defaults: { alpha: number }) {
  return z.strictObject({
    epochs: z.number().int().positive().describe('training epochs'),
    batchSize: z.number().int().positive().default(128).describe('samples per step'),
    optimizer: optimizerSchema.prefault({ key: 'sgd' }).describe('{ key: sgd | adam | adamw, kwargs } (lr is in kwargs)'),
    schedule: scheduleSchema.prefault({ key: 'constant' }).describe('{ key: constant | cosine | step, kwargs } over the whole run'),
    distillation: distillationSchema(defaults.alpha).prefault({}),
    maxSteps: z.number().int().positive().optional().describe('stop after this many steps in all (a budget; schedules still span the epochs)'),
    checkpointEvery: z.number().int().positive().optional().describe('steps between checkpoints; default one per epoch'),
  });
}

/** Fine-tuning after a compression step (`prune`, `factorize`). */
export const fineTuneSchema = trainingSchema({ alpha: 0.1 });

export type FineTuneKwargs = z.infer<typeof fineTuneSchema>;

export function optimizerSpecOf(o: FineTuneKwargs['optimizer']): OptimizerSpec {
  return o.key === 'sgd' ? { kind: 'sgd', momentum: o.kwargs.momentum, nesterov: o.kwargs.nesterov, weightDecay: o.kwargs.weightDecay } : { kind: o.key, weightDecay: o.kwargs.weightDecay };
}

export function scheduleSpecOf(s: FineTuneKwargs['schedule'], lrValue: number, stepsPerEpoch: number, epochs: number): ScheduleSpec {
  switch (s.key) {
    case 'constant':
      return { kind: 'constant', lr: lrValue };
    case 'cosine':
      return { kind: 'cosine', lr: lrValue, totalSteps: epochs * stepsPerEpoch, minLr: s.kwargs.minLr, warmupSteps: Math.round(s.kwargs.warmupEpochs * stepsPerEpoch) };
    case 'step':
      return { kind: 'step', lr: lrValue, stepSize: s.kwargs.stepEpochs * stepsPerEpoch, gamma: s.kwargs.gamma };
  }
}

/**
 * What a training stage's run records of its kwargs and context: epochs, batch size, seed, the
 * optimizer, the schedule over the whole run (not a maxSteps budget), the budget and ORT threads.
 */
export function runSettingsOf(kwargs: Pick<FineTuneKwargs, 'epochs' | 'batchSize' | 'optimizer' | 'schedule' | 'maxSteps'>, ctx: Pick<StageContext, 'seed' | 'threads'>, stepsPerEpoch: number) {
  const { epochs, batchSize } = kwargs;
  const schedule = scheduleSpecOf(kwargs.schedule, kwargs.optimizer.kwargs.lr, stepsPerEpoch, epochs);
  return { epochs, batchSize, seed: ctx.seed, optimizer: optimizerSpecOf(kwargs.optimizer), schedule, maxSteps: kwargs.maxSteps ?? null, threads: ctx.threads ?? 0 };
}

/** The Trainer's config for `trainSamples` training samples, checkpointing to the stage's checkpoint. */
export function trainerConfigOf(t: FineTuneKwargs, ctx: Pick<StageContext, 'seed' | 'threads' | 'progress' | 'checkpoint'>, trainSamples: number): TrainerConfig {
  const stepsPerEpoch = batchCount(trainSamples, t.batchSize, true);
  return {
    batchSize: t.batchSize,
    epochs: t.epochs,
    seed: ctx.seed,
    threads: ctx.threads ?? 0,
    progress: ctx.progress ? 'auto' : 'silent',
    optimizer: optimizerSpecOf(t.optimizer),
    schedule: scheduleSpecOf(t.schedule, t.optimizer.kwargs.lr, stepsPerEpoch, t.epochs),
    ...(t.maxSteps !== undefined ? { maxSteps: t.maxSteps } : {}),
    checkpoint: { path: ctx.checkpoint, everySteps: t.checkpointEvery ?? stepsPerEpoch },
  };
}

export const hintonOptionsOf = (t: FineTuneKwargs): HintonOptions => ({ temperature: t.distillation.temperature, alpha: t.distillation.alpha });
