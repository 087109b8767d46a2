/**
 * What each quantization method takes, as typed unions (no string-keyed option bag), and the checks
 * that turn a wrong value into an error naming the option and its valid choices.
 */
import { RetortError } from '../util/errors.js';
import type { QuantType } from './affine.js';
import type { CalibratorOptions } from './calibration/calibrator.js';

export interface Exclusions {
  /** Node names left in float. */
  nodes?: readonly string[];
  /** Op types left in float. */
  opTypes?: readonly string[];
}

export interface WeightScheme {
  symmetric: boolean;
  granularity: 'per-tensor' | 'per-channel';
}

export interface StaticOptions {
  method: 'static';
  /** Activations: ORT's default is uint8 asymmetric. */
  activations: { type: QuantType; symmetric: boolean };
  /** Weights are int8. */
  weights: WeightScheme;
  calibrator: CalibratorOptions;
  /** 'int32': scale input_scale * weight_scale, as ORT's tool does; 'float': the bias stays float. */
  bias: 'int32' | 'float';
  exclude?: Exclusions;
  /**
   * QDQ on graph outputs (default false): the last layer then runs with a float output (ORT's QGemm
   * / QLinearMatMul take DQ inputs and may write float), so logits are not rounded to 8 bits and no
   * calibrator clips them.
   */
  quantizeGraphOutputs?: boolean;
  /** Fold Conv -> BatchNormalization first (default true). */
  foldBatchNorm?: boolean;
}

export interface DynamicOptions {
  method: 'dynamic';
  weights: WeightScheme;
  /** MatMul/Gemm weight codes: int8 (default; ORT's QInt8) or uint8 (QUInt8). */
  weightType?: QuantType;
  /**
   * Conv quantized dynamically too (DynamicQuantizeLinear + ConvInteger) with this weight type; absent,
   * Conv stays float. onnxruntime-web has no int8-weight ConvInteger kernel, so browser models use uint8.
   */
  conv?: { weightType: QuantType };
  exclude?: Exclusions;
}

export type BlockAlgorithm = { kind: 'rtn' } | { kind: 'gptq'; damping: number };

export interface WeightOnlyOptions {
  method: 'weight-only';
  bits: 4 | 8;
  blockSize: 32 | 64 | 128;
  symmetric: boolean;
  /** Round-to-nearest, or GPTQ error compensation (needs calibration data). */
  algorithm: BlockAlgorithm;
  exclude?: Exclusions;
}

export interface Fp16Options {
  method: 'fp16';
  /** Graph inputs/outputs that stay float32 (Casts at the boundary): all, none, or these names. */
  keepFp32Io: 'all' | 'none' | readonly string[];
  /** Ops run in fp32 besides the registry's numerically sensitive ones. */
  exclude?: Exclusions;
}

export type QuantizeOptions = StaticOptions | DynamicOptions | WeightOnlyOptions | Fp16Options;
export type QuantizeMethod = QuantizeOptions['method'];
export const QUANTIZE_METHODS: readonly QuantizeMethod[] = ['static', 'dynamic', 'weight-only', 'fp16'];
export const BLOCK_BITS = [4, 8] as const;
export const BLOCK_SIZES = [32, 64, 128] as const;
export const CALIBRATORS = ['minmax', 'percentile', 'entropy', 'mse'] as const;

export function parseQuantizeMethod(value: string): QuantizeMethod {
  if ((QUANTIZE_METHODS as readonly string[]).includes(value)) return value as QuantizeMethod;
  throw new RetortError('BAD_ARGUMENT', `Unknown quantization method "${value}". Should be one of: ${QUANTIZE_METHODS.join(', ')}`);
}

export function parseBits(value: number): 4 | 8 {
  if ((BLOCK_BITS as readonly number[]).includes(value)) return value as 4 | 8;
  throw new RetortError('BAD_ARGUMENT', `--bits ${value} is out of range for weight-only quantization. Should be one of: ${BLOCK_BITS.join(', ')}`);
}

export function parseBlockSize(value: number): 32 | 64 | 128 {
  if ((BLOCK_SIZES as readonly number[]).includes(value)) return value as 32 | 64 | 128;
  throw new RetortError('BAD_ARGUMENT', `--block-size ${value} is not supported. Should be one of: ${BLOCK_SIZES.join(', ')}`);
}

export function parseCalibrator(name: string, percentile = 99.99): CalibratorOptions {
  switch (name) {
    case 'minmax': return { method: 'minmax' };
    case 'entropy': return { method: 'entropy' };
    case 'mse': return { method: 'mse' };
    case 'percentile':
      if (!(percentile > 0 && percentile <= 100)) throw new RetortError('BAD_ARGUMENT', `--percentile ${percentile} must be in (0, 100]`);
      return { method: 'percentile', percentile };
    default:
      throw new RetortError('BAD_ARGUMENT', `Unknown calibrator "${name}". Should be one of: ${CALIBRATORS.join(', ')}`);
  }
}

/** Checks options built in code (the CLI parses through the functions above). */
export function checkQuantizeOptions(options: QuantizeOptions): void {
  parseQuantizeMethod((options as { method: string }).method);
  if (options.method === 'weight-only') {
    parseBits(options.bits);
    parseBlockSize(options.blockSize);
    if (options.algorithm.kind === 'gptq' && !(options.algorithm.damping > 0 && options.algorithm.damping < 1)) {
      throw new RetortError('BAD_ARGUMENT', `GPTQ damping ${options.algorithm.damping} must be in (0, 1) (a fraction of the Hessian's mean diagonal)`);
    }
  }
  if (options.method === 'static') {
    if (!options.calibrator) throw new RetortError('BAD_ARGUMENT', `Static quantization needs a calibrator. Should be one of: ${CALIBRATORS.join(', ')}`);
    parseCalibrator(options.calibrator.method, options.calibrator.method === 'percentile' ? options.calibrator.percentile : undefined);
    if (options.activations.type !== 'int8' && options.activations.type !== 'uint8') {
      throw new RetortError('BAD_ARGUMENT', `Activation type "${String(options.activations.type)}". Should be one of: int8, uint8`);
    }
  }
}

export function isExcluded(node: { name: string; opType: string }, exclude: Exclusions | undefined): boolean {
  return Boolean(exclude?.nodes?.includes(node.name) || exclude?.opTypes?.includes(node.opType));
}
