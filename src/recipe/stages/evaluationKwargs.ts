/**
 * The evaluation settings of the `eval` and `compare` stages and of a run's final comparison, as
 * recipe kwargs: the same knobs and defaults as the options of `retort eval` and `retort compare`
 * (src/report/defaults.ts), turned into the report's EvaluationSettings. The bootstrap and the PGD
 * random start take the stage's seed.
 */
import os from 'node:os';
import { z } from 'zod';
import { defaultPgdStepSize, EVALUATION_DEFAULTS as DEFAULTS, type EvaluationSettings } from '../../report/index.js';

const attackSchema = z.discriminatedUnion('key', [
  z.strictObject({
    key: z.literal('fgsm'),
    kwargs: z.strictObject({ epsilon: z.number().min(0).default(DEFAULTS.epsilon).describe('L-infinity budget in input units') }).default({ epsilon: DEFAULTS.epsilon }),
  }).describe('FGSM (Goodfellow et al. 2015): one signed-gradient step'),
  z.strictObject({
    key: z.literal('pgd'),
    kwargs: z
      .strictObject({
        epsilon: z.number().min(0).default(DEFAULTS.epsilon).describe('L-infinity budget in input units'),
        steps: z.number().int().positive().default(DEFAULTS.pgdSteps).describe('signed-gradient steps'),
        stepSize: z.number().positive().optional().describe('size of each step; default 2.5 * epsilon / steps (Madry et al. 2018)'),
      })
      .default({ epsilon: DEFAULTS.epsilon, steps: DEFAULTS.pgdSteps }),
  }).describe('PGD (Madry et al. 2018) from a seeded random start in the epsilon ball'),
]);

/** The fields, spread into other schemas (a recipe's `report` adds `data`, `teacher`, `title`). */
export const evaluationKwargsShape = {
  bootstrap: z
    .number()
    .int()
    .min(0)
    .refine((n) => n !== 1, 'give 0 (no intervals) or at least 2 resamples')
    .default(DEFAULTS.bootstrap)
    .describe('percentile-bootstrap resamples of every interval (seeded by the stage seed); 0 for point estimates'),
  confidence: z.number().gt(0).lt(1).default(DEFAULTS.confidence).describe('two-sided confidence level of the intervals'),
  batchSize: z.number().int().positive().default(DEFAULTS.batchSize).describe('samples per ORT run when scoring'),
  calibrationBins: z.number().int().positive().default(DEFAULTS.calibrationBins).describe('equal-width confidence bins of ECE and the reliability diagram'),
  latency: z
    .strictObject({
      batch: z.number().int().positive().default(DEFAULTS.latency.batch).describe('batch size of the timed runs'),
      runs: z.number().int().positive().default(DEFAULTS.latency.runs).describe('timed runs (p50 and p95 over them)'),
      warmup: z.number().int().min(0).default(DEFAULTS.latency.warmup).describe('untimed runs before timing'),
    })
    .default({ ...DEFAULTS.latency })
    .describe('ORT latency measurement'),
  inputShapes: z.record(z.string(), z.array(z.number().int().positive()).min(1)).optional().describe('concrete input shapes MACs are counted for, e.g. { input: [1, 784] }; default the first input at batch 1'),
  attack: attackSchema.optional().describe("also accuracy under a white-box L-infinity attack on the model's own gradients"),
};

export const evaluationKwargsSchema = z.strictObject(evaluationKwargsShape);
export type EvaluationKwargs = z.infer<typeof evaluationKwargsSchema>;

/** The kwargs of the `eval` and `compare` stages: the settings and the HTML report's title. */
export const reportStageKwargsSchema = z.strictObject({
  ...evaluationKwargsShape,
  title: z.string().optional().describe('title of the HTML report; default "retort eval: NAME" or "retort compare: NAMES"'),
});
export type ReportStageKwargs = z.infer<typeof reportStageKwargsSchema>;

/** The report's settings from validated kwargs, the stage's seed and the run's threads (default: every core). */
export function evaluationSettingsOf(kwargs: EvaluationKwargs, options: { seed: number; threads: number | undefined }): EvaluationSettings {
  const { seed } = options;
  const attack = kwargs.attack;
  return {
    bootstrap: { resamples: kwargs.bootstrap, confidence: kwargs.confidence, seed },
    batchSize: kwargs.batchSize,
    calibrationBins: kwargs.calibrationBins,
    latency: { ...kwargs.latency, threads: options.threads ?? os.availableParallelism() },
    ...(kwargs.inputShapes ? { inputShapes: kwargs.inputShapes } : {}),
    ...(attack === undefined
      ? {}
      : attack.key === 'fgsm'
        ? { attack: { method: 'fgsm' as const, epsilon: attack.kwargs.epsilon } }
        : {
            attack: {
              method: 'pgd' as const,
              epsilon: attack.kwargs.epsilon,
              steps: attack.kwargs.steps,
              stepSize: attack.kwargs.stepSize ?? defaultPgdStepSize(attack.kwargs.epsilon, attack.kwargs.steps),
              randomStart: { seed },
            },
          }),
  };
}
