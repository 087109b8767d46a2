/**
 * What quantization-aware training takes, as typed unions, and the checks that turn a wrong value
 * into an error naming the option and its valid choices.
 */
import { RetortError } from '../../util/errors.js';
import type { QuantType } from '../affine.js';
import type { CalibratorOptions } from '../calibration/calibrator.js';
import type { Exclusions, StaticOptions } from '../options.js';
import { STRAIGHT_THROUGH, type StraightThrough } from './fakeQuant.js';
import { bitsRange } from './ranges.js';

/**
 * How step sizes are found. 'observed': weights from their current max|W| each step, activations
 * from a moving average of batch min/max carried like BatchNorm running statistics (PyTorch's
 * MovingAverageMinMaxObserver; `momentum` weights the old value). 'learned': LSQ (Esser et al. 2020),
 * every step size a trained parameter with gradient scale g = 1/sqrt(N·Qp).
 */
export type ScaleMode = { kind: 'observed'; momentum: number } | { kind: 'learned' };
export const SCALE_MODES = ['observed', 'learned'] as const;

/**
 * Where the initial activation ranges come from: 'float' — min/max of the first calibration batch
 * through the float model (an observer's first look); 'ptq' — static post-training calibration of
 * the whole calibration set with a PTQ calibrator (the hybrid PTQ → short QAT flow).
 */
export type RangeInit = { from: 'float' } | { from: 'ptq'; calibrator: CalibratorOptions };

/** Calibration batch size: with ranges from the float model, the first batch is all the observers see first. */
export const QAT_CALIBRATION_BATCH = 128;

export interface QatOptions {
  /** Bits of weights and activations (codes stored in int8/uint8 containers). */
  bits: number;
  /** Weights: symmetric int8, one scale per output channel (axis from the handler registry) or per tensor. */
  weights: { granularity: 'per-channel' | 'per-tensor' };
  /** Activations, per tensor: ORT's default is uint8 asymmetric. */
  activations: { type: QuantType; symmetric: boolean };
  scales: ScaleMode;
  ste: StraightThrough;
  init: RangeInit;
  /** Export biases as int32 at input scale × weight scale (as static PTQ does) or keep them float. */
  bias: 'int32' | 'float';
  exclude?: Exclusions;
  quantizeGraphOutputs?: boolean;
  /** Fold Conv -> BatchNormalization first (default true), as static PTQ does. */
  foldBatchNorm?: boolean;
}

/**
 * The bias form when none is chosen: int32 at input scale × weight scale at 8 bits (static PTQ's
 * format); float below, where that int32 step, the product of two coarse scales, is too coarse.
 */
export function defaultBias(bits: number): QatOptions['bias'] {
  return bits === 8 ? 'int32' : 'float';
}

export function defaultQatOptions(overrides: Partial<QatOptions> = {}): QatOptions {
  return {
    bits: 8,
    weights: { granularity: 'per-channel' },
    activations: { type: 'uint8', symmetric: false },
    scales: { kind: 'observed', momentum: 0.99 },
    ste: 'clipped',
    init: { from: 'float' },
    bias: 'int32',
    ...overrides,
  };
}

export function checkQatOptions(options: QatOptions): void {
  bitsRange('int8', true, options.bits);
  if (!STRAIGHT_THROUGH.includes(options.ste)) throw new RetortError('BAD_ARGUMENT', `Straight-through estimator "${String(options.ste)}". Should be one of: ${STRAIGHT_THROUGH.join(', ')}`);
  const kind = (options.scales as { kind: string }).kind;
  if (!(SCALE_MODES as readonly string[]).includes(kind)) throw new RetortError('BAD_ARGUMENT', `Scale mode "${kind}". Should be one of: ${SCALE_MODES.join(', ')}`);
  if (options.scales.kind === 'observed' && !(options.scales.momentum >= 0 && options.scales.momentum < 1)) {
    throw new RetortError('BAD_ARGUMENT', `Observer momentum ${options.scales.momentum} must be in [0, 1)`);
  }
  if (options.scales.kind === 'learned' && options.ste === 'plain') {
    // LSQ's step-size gradient (Esser et al. 2020, eq. 3) is defined with the clipped estimator.
    throw new RetortError('BAD_ARGUMENT', 'Learned scales (LSQ) use the clipped straight-through estimator: use --ste clipped with --scales learned');
  }
  if (options.activations.type !== 'int8' && options.activations.type !== 'uint8') {
    throw new RetortError('BAD_ARGUMENT', `Activation type "${String(options.activations.type)}". Should be one of: int8, uint8`);
  }
  if (options.bias !== 'int32' && options.bias !== 'float') throw new RetortError('BAD_ARGUMENT', `Bias "${String(options.bias)}". Should be one of: int32, float`);
}

/** Static PTQ in the same scheme, calibrated as the QAT run's ranges start (its baseline); none when the ranges start from the float model. */
export function staticEquivalent(options: QatOptions): StaticOptions | undefined {
  if (options.init.from !== 'ptq') return undefined;
  return { method: 'static', activations: options.activations, weights: { symmetric: true, granularity: options.weights.granularity }, calibrator: options.init.calibrator, bias: 'int32' };
}
