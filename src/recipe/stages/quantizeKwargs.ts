/**
 * Quantization settings as recipe kwargs, shared by the `quantize`, `qat` and `joint` stages: the
 * activation-range calibrator as a `{key, kwargs}` component, the calibration set size, and the
 * node exclusions — the same choices as `retort quantize --calibrator/--calibration-size/--exclude-*`.
 */
import { z } from 'zod';
import type { CalibratorOptions } from '../../quantize/calibration/calibrator.js';
import type { Exclusions } from '../../quantize/options.js';

export const calibratorSchema = z.discriminatedUnion('key', [
  z.strictObject({ key: z.literal('minmax'), kwargs: z.strictObject({}).prefault({}) }).describe('the observed min and max'),
  z.strictObject({
    key: z.literal('percentile'),
    kwargs: z.strictObject({ percentile: z.number().gt(0).max(100).default(99.99).describe('percentile of |x| kept') }).prefault({}),
  }).describe('a percentile of |x| (clips outliers)'),
  z.strictObject({ key: z.literal('entropy'), kwargs: z.strictObject({}).prefault({}) }).describe('the threshold of least KL divergence (TensorRT)'),
  z.strictObject({ key: z.literal('mse'), kwargs: z.strictObject({}).prefault({}) }).describe('the threshold of least quantization MSE'),
]);

export type CalibratorKwargs = z.infer<typeof calibratorSchema>;

export function calibratorOptionsOf(c: CalibratorKwargs): CalibratorOptions {
  return c.key === 'percentile' ? { method: 'percentile', percentile: c.kwargs.percentile } : { method: c.key };
}

export const calibrationSamplesSchema = (value: number) => z.number().int().positive().default(value).describe('the first N training samples of the data input calibrate the ranges');

export const exclusionsSchema = z
  .strictObject({
    opTypes: z.array(z.string()).default([]).describe('op types left in float, e.g. [Conv]'),
    nodes: z.array(z.string()).default([]).describe('node names left in float'),
  })
  .optional()
  .describe('what stays in float');

export const exclusionsOf = (e: z.infer<typeof exclusionsSchema>): Exclusions | undefined => (e && (e.opTypes.length > 0 || e.nodes.length > 0) ? e : undefined);

