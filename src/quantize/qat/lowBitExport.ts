/**
 * Export of ternary/binary training: each weight stored as int8 codes in {-1, 0, +1} (ternary) or
 * {-1, +1} (binary) with its codebook scale α as a DequantizeLinear scale, so the model loads in plain
 * ORT, plus the size the weights take packed (2 bits per ternary weight, 1 bit per binary weight,
 * 32 bits per codebook scale), which QDQ's int8 containers do not show.
 */
import { Graph } from '../../onnx/graph.js';
import type { ModelProto } from '../../onnx/proto.js';
import { readFloat32 } from '../../onnx/tensor.js';
import { exportInferenceModel } from '../../train/export.js';
import type { QuantizedTensor } from '../affine.js';
import { addDequantizedInitializer } from '../qdq.js';
import type { LowBitMethod, LowBitModel, LowBitSite } from './ternary.js';

export interface LowBitCodes {
  codes: Int8Array;
  /** α per layer (one entry) or per output channel. */
  scales: Float32Array;
  /** Channel axis of per-channel scales. */
  axis?: number;
}

/** TWN's Δ = factor·mean|W| and α = mean |W| over |W| > Δ; codes sign(W)·[|W| > Δ]. */
export function ternaryCodes(weights: Float32Array, thresholdFactor: number): LowBitCodes & { threshold: number } {
  let sum = 0;
  for (const w of weights) sum += Math.abs(w);
  const threshold = Math.fround(Math.fround(sum / weights.length) * Math.fround(thresholdFactor));
  let keptSum = 0;
  let kept = 0;
  const codes = new Int8Array(weights.length);
  weights.forEach((w, i) => {
    if (Math.abs(w) > threshold) {
      codes[i] = w > 0 ? 1 : -1;
      keptSum += Math.abs(w);
      kept++;
    }
  });
  return { codes, scales: Float32Array.of(Math.fround(keptSum / Math.max(kept, 1))), threshold };
}

/** sign(W) (+1 for W >= 0) with α = mean|W| per layer, or per channel of `axis`. */
export function binaryCodes(weights: Float32Array, dims: readonly number[], axis: number | undefined): LowBitCodes {
  const channels = axis === undefined ? 1 : dims[axis]!;
  const inner = axis === undefined ? weights.length : dims.slice(axis + 1).reduce((a, c) => a * c, 1);
  const sums = new Float64Array(channels);
  const codes = new Int8Array(weights.length);
  weights.forEach((w, i) => {
    codes[i] = w >= 0 ? 1 : -1;
    const c = Math.floor(i / inner) % channels;
    sums[c] = sums[c]! + Math.abs(w);
  });
  const perChannel = weights.length / channels;
  return { codes, scales: Float32Array.from(sums, (s) => Math.fround(s / perChannel)), axis };
}

export function lowBitCodes(site: LowBitSite, weights: Float32Array, method: LowBitMethod): LowBitCodes {
  return method.method === 'twn' ? ternaryCodes(weights, method.thresholdFactor) : binaryCodes(weights, site.dims, method.scale === 'per-channel' ? site.axis : undefined);
}

export interface LowBitLayer {
  weight: string;
  count: number;
  bitsPerWeight: number;
  /** {-α, 0, +α} (ternary), {-α, +α} (binary per layer), or the α of each channel (binary per channel). */
  codebook: number[];
  /** Fraction of zero codes (ternary). */
  sparsity: number;
  packedBytes: number;
}

export interface LowBitExport {
  model: ModelProto;
  layers: LowBitLayer[];
  /** Packed weights and codebooks plus every other parameter at 32 bits. */
  packedBytes: number;
  floatBytes: number;
}

export function exportLowBit(lb: LowBitModel, values: ReadonlyMap<string, Float32Array>): LowBitExport {
  const own = new Set(lb.floatModel.graph!.initializer.map((t) => t.name));
  const model = exportInferenceModel(lb.floatModel, new Map([...values].filter(([name]) => own.has(name))));
  const graph = new Graph(model.graph!);
  const nodes = [...graph.proto.node];
  const floatBytes = graph.proto.initializer.reduce((n, t) => n + 4 * t.dims.reduce((a: number, d) => a * Number(d), 1), 0);
  const bitsPerWeight = lb.options.weights.method === 'twn' ? 2 : 1;
  const layers: LowBitLayer[] = [];
  let quantizedFloatBytes = 0;
  for (const site of lb.sites) {
    const weights = readFloat32(graph.initializer(site.weight)!);
    const c = lowBitCodes(site, weights, lb.options.weights);
    const tensor: QuantizedTensor = { type: 'int8', dims: [...site.dims], codes: c.codes, scales: c.scales, zeroPoints: new Int32Array(c.scales.length), axis: c.axis };
    addDequantizedInitializer(graph, site.weight, tensor, [nodes[site.nodeIndex]!]);
    const zeros = c.codes.reduce((n, q) => n + (q === 0 ? 1 : 0), 0);
    layers.push({
      weight: site.weight,
      count: weights.length,
      bitsPerWeight,
      codebook: lb.options.weights.method === 'twn' ? [-c.scales[0]!, 0, c.scales[0]!] : c.scales.length === 1 ? [-c.scales[0]!, c.scales[0]!] : [...c.scales],
      sparsity: zeros / weights.length,
      packedBytes: Math.ceil((weights.length * bitsPerWeight) / 8) + 4 * c.scales.length,
    });
    quantizedFloatBytes += 4 * weights.length;
  }
  graph.sortNodes();
  const packedBytes = floatBytes - quantizedFloatBytes + layers.reduce((n, l) => n + l.packedBytes, 0);
  return { model, layers, packedBytes, floatBytes };
}
