/**
 * From a user's choices for a quantization method to its full options, with the defaults a serious
 * tool would pick (ORT's quantization tool picks the same): symmetric int8 weights per output
 * channel; uint8 asymmetric activations (int8 ones symmetric, as TensorRT wants them) with int32
 * biases; minmax calibration; 4-bit weight-only blocks of 32 by round-to-nearest; fp16 with float32
 * inputs and outputs. `retort quantize` and the recipe's `quantize` stage both build options here.
 */
import type { QuantType } from './affine.js';
import type { CalibratorOptions } from './calibration/calibrator.js';
import type { Exclusions, QuantizeMethod, QuantizeOptions, WeightScheme } from './options.js';

export interface QuantizeChoices {
  method: QuantizeMethod;
  exclude?: Exclusions;
  /** static, dynamic, weight-only: weights symmetric around zero (default true). */
  symmetric?: boolean;
  /** static, dynamic: one weight scale per output channel (default) or per tensor. */
  granularity?: WeightScheme['granularity'];
  /** static: uint8 (asymmetric, default) or int8 (symmetric) activations. */
  activationType?: QuantType;
  /** static: how activation ranges are found (default minmax). */
  calibrator?: CalibratorOptions;
  /** weight-only: bits per weight (default 4) and weights per scale along K (default 32). */
  bits?: 4 | 8;
  blockSize?: 32 | 64 | 128;
  /** weight-only: GPTQ error compensation (Frantar et al. 2023, damping 0.01) instead of round-to-nearest. */
  gptq?: boolean;
}

export const GPTQ_DAMPING = 0.01;

/** Samples per calibration batch (a memory bound only: calibration results do not depend on it). */
export const CALIBRATION_BATCH_SIZE = 64;

/** The options, and whether the method reads calibration data (static, GPTQ). */
export function quantizeOptionsFrom(c: QuantizeChoices): { options: QuantizeOptions; needsCalibration: boolean } {
  const weights: WeightScheme = { symmetric: c.symmetric ?? true, granularity: c.granularity ?? 'per-channel' };
  const { exclude } = c;
  switch (c.method) {
    case 'static': {
      const type = c.activationType ?? 'uint8';
      return {
        options: { method: 'static', exclude, bias: 'int32', activations: { type, symmetric: type === 'int8' }, weights, calibrator: c.calibrator ?? { method: 'minmax' } },
        needsCalibration: true,
      };
    }
    case 'dynamic':
      return { options: { method: 'dynamic', exclude, weights }, needsCalibration: false };
    case 'weight-only': {
      const algorithm = c.gptq ? { kind: 'gptq' as const, damping: GPTQ_DAMPING } : { kind: 'rtn' as const };
      return { options: { method: 'weight-only', exclude, bits: c.bits ?? 4, blockSize: c.blockSize ?? 32, symmetric: weights.symmetric, algorithm }, needsCalibration: Boolean(c.gptq) };
    }
    case 'fp16':
      return { options: { method: 'fp16', exclude, keepFp32Io: 'all' }, needsCalibration: false };
  }
}
