/**
 * GPTQ (Frantar et al. 2022, "GPTQ: Accurate Post-Training Quantization for Generative
 * Pre-trained Transformers"): quantize the weight [N, K] one input column at a time and push each
 * column's rounding error onto the columns not yet quantized, weighted by the inverse Hessian of
 * the layer's squared output error, H = 2/n · XᵀX over calibration inputs X [n, K]. H is damped
 * by `damping` × mean(diag H) before the Cholesky factorization; block scales are taken from the
 * error-updated weights when their block starts (the paper's "grouping" variant).
 */
import { RetortError } from '../util/errors.js';
import { blockParams, blocksPerRow, checkBlockScheme, quantizeCode, type BlockQuantized, type BlockScheme } from './blockQuant.js';

/** Running XᵀX over rows of K values (memory K², whatever the number of rows). */
export class HessianAccumulator {
  readonly xtx: Float64Array;
  rows = 0;
  constructor(readonly k: number) {
    this.xtx = new Float64Array(k * k);
  }

  add(x: Float32Array): void {
    const k = this.k;
    if (x.length % k !== 0) throw new RetortError('SHAPE_UNKNOWN', `GPTQ input holds ${x.length} values, not a multiple of K = ${k}`);
    for (let r = 0; r < x.length / k; r++) {
      const row = x.subarray(r * k, (r + 1) * k);
      for (let i = 0; i < k; i++) {
        const xi = row[i]!;
        if (xi === 0) continue;
        const base = i * k;
        for (let j = 0; j < k; j++) this.xtx[base + j]! += xi * row[j]!;
      }
      this.rows++;
    }
  }

  hessian(): Float64Array {
    const scale = this.rows === 0 ? 0 : 2 / this.rows;
    return Float64Array.from(this.xtx, (v) => v * scale);
  }
}

/** Lower Cholesky factor of a symmetric positive definite matrix, in place of a copy. */
function cholesky(a: Float64Array, k: number): Float64Array {
  const l = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * k + j]!;
      for (let p = 0; p < j; p++) sum -= l[i * k + p]! * l[j * k + p]!;
      if (i === j) {
        if (!(sum > 0)) throw new RetortError('NON_FINITE', 'GPTQ: the damped Hessian is not positive definite; raise the damping');
        l[i * k + i] = Math.sqrt(sum);
      } else {
        l[i * k + j] = sum / l[j * k + j]!;
      }
    }
  }
  return l;
}

/** Upper factor U with H⁻¹ = UᵀU (the paper's Cholesky form of the inverse Hessian). */
export function inverseHessianFactor(h: Float64Array, k: number): Float64Array {
  const l = cholesky(h, k);
  // L⁻¹ by forward substitution, then H⁻¹ = L⁻ᵀ L⁻¹.
  const linv = new Float64Array(k * k);
  for (let c = 0; c < k; c++) {
    for (let i = c; i < k; i++) {
      let sum = i === c ? 1 : 0;
      for (let p = c; p < i; p++) sum -= l[i * k + p]! * linv[p * k + c]!;
      linv[i * k + c] = sum / l[i * k + i]!;
    }
  }
  const hinv = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = 0;
      for (let p = i; p < k; p++) sum += linv[p * k + i]! * linv[p * k + j]!;
      hinv[i * k + j] = sum;
      hinv[j * k + i] = sum;
    }
  }
  // Upper Cholesky of H⁻¹: U = Lᵀ of its lower factor.
  const lower = cholesky(hinv, k);
  const u = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j <= i; j++) u[j * k + i] = lower[i * k + j]!;
  return u;
}

export function gptqQuantizeBlocks(weightNK: Float32Array, n: number, k: number, hessian: Float64Array, scheme: BlockScheme, damping: number): BlockQuantized {
  checkBlockScheme(scheme);
  const h = Float64Array.from(hessian);
  const w = Float64Array.from(weightNK);
  let diagSum = 0;
  for (let i = 0; i < k; i++) {
    if (h[i * k + i] === 0) {
      // A dead input (always zero in calibration): its weights never matter; keep H invertible.
      h[i * k + i] = 1;
      for (let r = 0; r < n; r++) w[r * k + i] = 0;
    }
    diagSum += h[i * k + i]!;
  }
  const damp = (damping * diagSum) / k;
  for (let i = 0; i < k; i++) h[i * k + i]! += damp;
  const u = inverseHessianFactor(h, k);

  const { blockSize, bits } = scheme;
  const nb = blocksPerRow(k, blockSize);
  const codes = new Uint8Array(n * nb * blockSize);
  const scales = new Float32Array(n * nb);
  const zeroPoints = new Uint8Array(n * nb);
  const block = new Float64Array(blockSize);
  for (let i = 0; i < k; i++) {
    const b = Math.floor(i / blockSize);
    if (i % blockSize === 0) {
      for (let r = 0; r < n; r++) {
        block.fill(0);
        for (let j = i; j < Math.min(k, i + blockSize); j++) block[j - i] = w[r * k + j]!;
        const p = blockParams(block, scheme);
        scales[r * nb + b] = p.scale;
        zeroPoints[r * nb + b] = p.zeroPoint;
        for (let j = k; j < (b + 1) * blockSize; j++) codes[(r * nb + b) * blockSize + (j % blockSize)] = p.zeroPoint;
      }
    }
    const d = u[i * k + i]!;
    for (let r = 0; r < n; r++) {
      const scale = scales[r * nb + b]!;
      const zero = zeroPoints[r * nb + b]!;
      const x = w[r * k + i]!;
      const code = quantizeCode(x, scale, zero, bits);
      codes[(r * nb + b) * blockSize + (i % blockSize)] = code;
      const error = (x - (code - zero) * scale) / d;
      for (let j = i + 1; j < k; j++) w[r * k + j]! -= error * u[i * k + j]!;
    }
  }
  return { ...scheme, n, k, blocksPerRow: nb, codes, scales, zeroPoints };
}
