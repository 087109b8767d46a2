/**
 * Block-wise weight quantization along K, as com.microsoft.MatMulNBits stores it: the weight in
 * [N, K] layout, each row cut into blocks of `blockSize` values along K, one scale (and for
 * asymmetric, one zero point) per block; codes are unsigned n-bit, value = (code - zeroPoint) * scale.
 * When K is not a multiple of the block size the last block is padded with zeros (policy stated
 * here: padded codes dequantize to 0 and meet zero activations, since ORT reads only K values).
 */
import { RetortError } from '../util/errors.js';
import { clamp, roundHalfEven } from './affine.js';

export interface BlockScheme {
  bits: 4 | 8;
  blockSize: number;
  symmetric: boolean;
}

export interface BlockQuantized extends BlockScheme {
  n: number;
  k: number;
  blocksPerRow: number;
  /** [N, blocksPerRow * blockSize] unsigned codes, padding included. */
  codes: Uint8Array;
  /** [N, blocksPerRow]. */
  scales: Float32Array;
  /** [N, blocksPerRow]; symmetric blocks all use 2^(bits-1), MatMulNBits's default. */
  zeroPoints: Uint8Array;
}

export function blocksPerRow(k: number, blockSize: number): number {
  return Math.ceil(k / blockSize);
}

/** Scale and zero point of one block of values. */
export function blockParams(values: ArrayLike<number>, scheme: Pick<BlockScheme, 'bits' | 'symmetric'>): { scale: number; zeroPoint: number } {
  const qmax = 2 ** scheme.bits - 1;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]!);
    hi = Math.max(hi, values[i]!);
  }
  if (scheme.symmetric) {
    // Codes [1, 2^bits - 1] around zero point 2^(bits-1): ±(2^(bits-1) - 1) levels, -0 and +0 alike.
    const half = 2 ** (scheme.bits - 1);
    const absMax = Math.max(-lo, hi);
    return { scale: absMax === 0 ? 1 : Math.fround(absMax / (half - 1)), zeroPoint: half };
  }
  if (hi === lo) return { scale: 1, zeroPoint: 0 };
  const scale = Math.fround((hi - lo) / qmax);
  return { scale, zeroPoint: clamp(roundHalfEven(-lo / scale), 0, qmax) };
}

export function quantizeCode(x: number, scale: number, zeroPoint: number, bits: number): number {
  return clamp(roundHalfEven(x / scale) + zeroPoint, 0, 2 ** bits - 1);
}

export function checkBlockScheme(scheme: BlockScheme): void {
  if (scheme.bits !== 4 && scheme.bits !== 8) throw new RetortError('BAD_ARGUMENT', `Block quantization bits ${String(scheme.bits)}. Should be one of: 4, 8`);
  if (!(Number.isInteger(scheme.blockSize) && scheme.blockSize >= 16 && (scheme.blockSize & (scheme.blockSize - 1)) === 0)) {
    throw new RetortError('BAD_ARGUMENT', `Block size ${scheme.blockSize} must be a power of two >= 16 (MatMulNBits requires it)`);
  }
}

/** Round-to-nearest block quantization of a weight given as [N, K] row-major. */
export function quantizeBlocks(weightNK: Float32Array, n: number, k: number, scheme: BlockScheme): BlockQuantized {
  checkBlockScheme(scheme);
  const { blockSize, bits } = scheme;
  const nb = blocksPerRow(k, blockSize);
  const codes = new Uint8Array(n * nb * blockSize);
  const scales = new Float32Array(n * nb);
  const zeroPoints = new Uint8Array(n * nb);
  const block = new Float32Array(blockSize);
  for (let r = 0; r < n; r++) {
    for (let b = 0; b < nb; b++) {
      block.fill(0);
      const start = b * blockSize;
      const end = Math.min(k, start + blockSize);
      block.set(weightNK.subarray(r * k + start, r * k + end));
      const p = blockParams(block, scheme);
      scales[r * nb + b] = p.scale;
      zeroPoints[r * nb + b] = p.zeroPoint;
      for (let i = 0; i < blockSize; i++) codes[(r * nb + b) * blockSize + i] = start + i < k ? quantizeCode(block[i]!, p.scale, p.zeroPoint, bits) : p.zeroPoint;
    }
  }
  return { ...scheme, n, k, blocksPerRow: nb, codes, scales, zeroPoints };
}

/** The float weight [N, K] the codes stand for (the reference MatMulNBits must reproduce). */
export function dequantizeBlocks(q: BlockQuantized): Float32Array {
  const out = new Float32Array(q.n * q.k);
  for (let r = 0; r < q.n; r++) {
    for (let j = 0; j < q.k; j++) {
      const b = Math.floor(j / q.blockSize);
      const code = q.codes[(r * q.blocksPerRow + b) * q.blockSize + (j % q.blockSize)]!;
      out[r * q.k + j] = (code - q.zeroPoints[r * q.blocksPerRow + b]!) * q.scales[r * q.blocksPerRow + b]!;
    }
  }
  return out;
}

/** Codes packed low bits first: 4-bit as two per byte (element 2i in the low nibble). */
export function packCodes(codes: Uint8Array, bits: 4 | 8): Uint8Array {
  if (bits === 8) return Uint8Array.from(codes);
  const out = new Uint8Array(Math.ceil(codes.length / 2));
  for (let i = 0; i < codes.length; i++) out[i >> 1]! |= (codes[i]! & 0x0f) << ((i & 1) * 4);
  return out;
}

/** MatMulNBits zero points: per row, ceil(blocksPerRow * bits / 8) bytes, low nibble first. */
export function packZeroPoints(q: BlockQuantized): Uint8Array {
  if (q.bits === 8) return Uint8Array.from(q.zeroPoints);
  const perRow = Math.ceil(q.blocksPerRow / 2);
  const out = new Uint8Array(q.n * perRow);
  for (let r = 0; r < q.n; r++) {
    for (let b = 0; b < q.blocksPerRow; b++) out[r * perRow + (b >> 1)]! |= (q.zeroPoints[r * q.blocksPerRow + b]! & 0x0f) << ((b & 1) * 4);
  }
  return out;
}
