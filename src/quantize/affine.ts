/**
 * Affine (uniform) quantization arithmetic shared by every method: x ≈ (q - zeroPoint) * scale.
 * Rounding is half-to-even, as ONNX QuantizeLinear specifies, so values computed here match ORT.
 */
import { RetortError } from '../util/errors.js';

export type QuantType = 'int8' | 'uint8';
export const QUANT_TYPES: readonly QuantType[] = ['int8', 'uint8'];

export interface IntegerRange {
  qmin: number;
  qmax: number;
}

/**
 * Integer range of a type. Symmetric int8 uses [-127, 127] (the "restricted range" of TensorRT and
 * of ORT's symmetric weights) so that zero sits exactly in the middle and -x quantizes to -q.
 */
export function integerRange(type: QuantType, symmetric: boolean): IntegerRange {
  if (type === 'int8') return symmetric ? { qmin: -127, qmax: 127 } : { qmin: -128, qmax: 127 };
  return { qmin: 0, qmax: 255 };
}

/** Integer range of an n-bit unsigned code (block quantization stores codes unsigned). */
export function unsignedBitsRange(bits: number): IntegerRange {
  return { qmin: 0, qmax: 2 ** bits - 1 };
}

export interface AffineParams {
  scale: number;
  zeroPoint: number;
}

/** Round half to even, as ONNX QuantizeLinear does (saturation is the caller's). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Scale and zero point covering [rmin, rmax] (widened to include 0, so zero is exact: padding and
 * ReLU zeros must dequantize to exactly 0). Symmetric: zero point at the middle of the range (0 for
 * int8, 128 for uint8) and scale = max|r| / half-range. A zero-width range gets scale 1.
 */
export function affineParams(rmin: number, rmax: number, range: IntegerRange, symmetric: boolean): AffineParams {
  if (!Number.isFinite(rmin) || !Number.isFinite(rmax) || rmin > rmax) {
    throw new RetortError('NON_FINITE', `Cannot quantize the range [${rmin}, ${rmax}]`);
  }
  const lo = Math.min(rmin, 0);
  const hi = Math.max(rmax, 0);
  const { qmin, qmax } = range;
  if (symmetric) {
    const absMax = Math.max(-lo, hi);
    const zeroPoint = Math.ceil((qmin + qmax) / 2);
    const scale = absMax === 0 ? 1 : absMax / ((qmax - qmin) / 2);
    return { scale: Math.fround(scale), zeroPoint };
  }
  if (hi === lo) return { scale: 1, zeroPoint: clamp(0, qmin, qmax) };
  const scale = Math.fround((hi - lo) / (qmax - qmin));
  const zeroPoint = clamp(roundHalfEven(qmin - lo / scale), qmin, qmax);
  return { scale, zeroPoint };
}

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

export function quantizeValue(x: number, p: AffineParams, range: IntegerRange): number {
  return clamp(roundHalfEven(x / p.scale) + p.zeroPoint, range.qmin, range.qmax);
}

export function dequantizeValue(q: number, p: AffineParams): number {
  return (q - p.zeroPoint) * p.scale;
}

/** Per-tensor or per-channel quantized data: codes plus one scale/zero point per channel. */
export interface QuantizedTensor {
  type: QuantType;
  dims: number[];
  codes: Int8Array | Uint8Array;
  scales: Float32Array;
  zeroPoints: Int32Array;
  /** Channel axis of per-channel parameters; undefined for per-tensor. */
  axis?: number;
}

export interface WeightQuantization {
  type: QuantType;
  symmetric: boolean;
  /** Axis with one scale per index (e.g. Conv output channels, axis 0), or per-tensor when absent. */
  axis?: number;
}

/** Quantize a float tensor per-tensor or along `axis`, each channel from its own min/max. */
export function quantizeTensor(data: Float32Array, dims: readonly number[], q: WeightQuantization): QuantizedTensor {
  const axis = q.axis;
  if (axis !== undefined && (axis < 0 || axis >= dims.length)) {
    throw new RetortError('BAD_ARGUMENT', `Per-channel axis ${axis} is out of range for dims [${dims.join(',')}]`);
  }
  const channels = axis === undefined ? 1 : dims[axis]!;
  const inner = axis === undefined ? data.length : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number): number => (axis === undefined ? 0 : Math.floor(i / inner) % channels);
  const mins = new Float64Array(channels).fill(Infinity);
  const maxs = new Float64Array(channels).fill(-Infinity);
  for (let i = 0; i < data.length; i++) {
    const c = channelOf(i);
    const v = data[i]!;
    if (v < mins[c]!) mins[c] = v;
    if (v > maxs[c]!) maxs[c] = v;
  }
  const range = integerRange(q.type, q.symmetric);
  const params = Array.from({ length: channels }, (_, c) => (data.length === 0 ? { scale: 1, zeroPoint: 0 } : affineParams(mins[c]!, maxs[c]!, range, q.symmetric)));
  const codes = q.type === 'int8' ? new Int8Array(data.length) : new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) codes[i] = quantizeValue(data[i]!, params[channelOf(i)]!, range);
  return {
    type: q.type,
    dims: [...dims],
    codes,
    scales: Float32Array.from(params, (p) => p.scale),
    zeroPoints: Int32Array.from(params, (p) => p.zeroPoint),
    axis,
  };
}

/** Float values the codes stand for (the reference the quantized graph must reproduce). */
export function dequantizeTensor(t: QuantizedTensor): Float32Array {
  const channels = t.scales.length;
  const inner = t.axis === undefined ? t.codes.length : t.dims.slice(t.axis + 1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(t.codes.length);
  for (let i = 0; i < out.length; i++) {
    const c = t.axis === undefined ? 0 : Math.floor(i / inner) % channels;
    out[i] = (t.codes[i]! - t.zeroPoints[c]!) * t.scales[c]!;
  }
  return out;
}
