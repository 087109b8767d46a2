/**
 * Export of a QAT run in the static-PTQ format: weights stored as int8 codes with DequantizeLinear
 * (per-channel axis as in training), activations with QuantizeLinear/DequantizeLinear pairs, biases
 * int32 at input scale × weight scale, all through qdq.ts. Scales and zero points are computed from
 * the trained values exactly as the fake-quant graph computes them (float32 arithmetic), so the
 * exported model reproduces the training graph's forward pass.
 */
import { Graph } from '../../onnx/graph.js';
import type { ModelProto } from '../../onnx/proto.js';
import { makeTensor, readFloat32 } from '../../onnx/tensor.js';
import { exportInferenceModel } from '../../train/export.js';
import { RetortError } from '../../util/errors.js';
import { clamp, integerRange, roundHalfEven, type IntegerRange, type QuantType, type QuantizedTensor } from '../affine.js';
import { addDequantizedInitializer, insertQdqPair, quantizeBiasInt32, type QdqParams } from '../qdq.js';
import { initialWeightScales, type ActivationSite, type FakeQuantModel, type WeightSite } from './prepare.js';

const f = Math.fround;

/** Scale and zero point of an observed range, in the fake-quant graph's float32 arithmetic. */
export function observedRangeParams(min: number, max: number, range: IntegerRange, symmetric: boolean): { scale: number; zeroPoint: number } {
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  const { qmin, qmax } = range;
  if (symmetric) {
    const absMax = Math.max(-lo, hi);
    return { scale: absMax > 0 ? f(absMax / ((qmax - qmin) / 2)) : 1, zeroPoint: Math.ceil((qmin + qmax) / 2) };
  }
  const width = f(hi - lo);
  const scale = width > 0 ? f(width / (qmax - qmin)) : 1;
  return { scale, zeroPoint: clamp(roundHalfEven(f(qmin - f(lo / scale))), qmin, qmax) };
}

/** round(x/s) + zp saturated, as the fake-quant graph computes it in float32. */
export function quantizeCode(x: number, scale: number, zeroPoint: number, range: IntegerRange): number {
  return clamp(roundHalfEven(f(f(x / scale) + zeroPoint)), range.qmin, range.qmax);
}

function value(values: ReadonlyMap<string, Float32Array>, name: string, what: string): Float32Array {
  const v = values.get(name);
  if (!v) throw new RetortError('UNKNOWN_KEY', `QAT export: no trained value for ${what} "${name}"`);
  return v;
}

function activationParams(site: ActivationSite, values: ReadonlyMap<string, Float32Array>, type: QuantType): QdqParams {
  const s = site.scale;
  const p =
    s.kind === 'learned'
      ? { scale: value(values, s.scale, 'step size')[0]!, zeroPoint: value(values, s.zeroPoint!, 'zero point')[0]! }
      : observedRangeParams(value(values, s.min!, 'observed minimum')[0]!, value(values, s.max!, 'observed maximum')[0]!, site.range, site.symmetric);
  return { type, scales: Float32Array.of(p.scale), zeroPoints: Int32Array.of(p.zeroPoint) };
}

function weightCodes(site: WeightSite, weights: Float32Array, all: ReadonlyMap<string, Float32Array>): QuantizedTensor {
  const scales = site.scale.kind === 'learned' ? value(all, site.scale.scale, 'step size') : initialWeightScales(weights, site.dims, site.axis, site.range);
  const channels = site.axis === undefined ? 1 : site.dims[site.axis]!;
  const inner = site.axis === undefined ? weights.length : site.dims.slice(site.axis + 1).reduce((a, c) => a * c, 1);
  const codes = new Int8Array(weights.length);
  for (let i = 0; i < weights.length; i++) codes[i] = quantizeCode(weights[i]!, scales[Math.floor(i / inner) % channels]!, 0, site.range);
  return { type: 'int8', dims: [...site.dims], codes, scales: Float32Array.from(scales), zeroPoints: new Int32Array(channels), axis: site.axis };
}

/**
 * Below 8 bits QuantizeLinear saturates to the container's range (uint8 [0, 255]), not the b-bit one
 * the training graph clamps to, so a Clip to [s(qmin - zp), s(qmax - zp)] goes before the pair.
 */
function saturateBelowContainer(graph: Graph, value: string, p: QdqParams, range: IntegerRange): string {
  const container = integerRange(p.type, false);
  if (range.qmin <= container.qmin && range.qmax >= container.qmax) return value;
  const [scale, zeroPoint] = [p.scales[0]!, p.zeroPoints[0]!];
  const bound = (q: number) => {
    const name = graph.uniqueName(`${value}_qat_bound`);
    graph.addInitializer(makeTensor(name, [], Float32Array.of((q - zeroPoint) * scale)));
    return name;
  };
  const readers = [...graph.consumersOf(value)];
  const clipped = graph.uniqueName(`${value}_saturated`);
  graph.addNode({ opType: 'Clip', inputs: [value, bound(range.qmin), bound(range.qmax)], outputs: [clipped], name: graph.uniqueName(`${value}_saturate`) });
  for (const reader of readers) reader.input = reader.input.map((i) => (i === value ? clipped : i));
  graph.touch();
  return clipped;
}

/**
 * The QDQ model for trained `values` (the Trainer's `currentValues()`: weights, biases, step sizes,
 * observer ranges). Loads in plain ORT; ORT fuses DQ -> op -> Q into integer kernels.
 */
export function exportQdq(fq: FakeQuantModel, values: ReadonlyMap<string, Float32Array>): ModelProto {
  const own = new Set(fq.floatModel.graph!.initializer.map((t) => t.name));
  const model = exportInferenceModel(fq.floatModel, new Map([...values].filter(([name]) => own.has(name))));
  const graph = new Graph(model.graph!);
  const nodes = [...graph.proto.node];
  const { type } = fq.options.activations;
  // Fixed values of the fake-quant model (learned scales' zero points) under the trained ones.
  const all = new Map<string, Float32Array>([...fq.model.graph!.initializer.filter((t) => t.dataType === 1).map((t): [string, Float32Array] => [t.name, readFloat32(t)]), ...values]);
  const params = new Map<string, QdqParams>(fq.activations.map((site) => [site.value, activationParams(site, all, type)]));
  for (const [t, source] of fq.sameAs) if (params.has(source)) params.set(t, params.get(source)!);
  for (const site of fq.weights) {
    const node = nodes[site.nodeIndex]!;
    const quantized = weightCodes(site, readFloat32(graph.initializer(site.weight)!), all);
    addDequantizedInitializer(graph, site.weight, quantized, [node]);
    const inputParams = site.bias ? params.get(site.bias.activation) : undefined;
    if (fq.options.bias === 'int32' && site.bias && inputParams) quantizeBiasInt32(graph, site.bias.name, inputParams.scales[0]!, quantized.scales, [node]);
  }
  const ranges = new Map<string, IntegerRange>(fq.activations.map((site) => [site.value, site.range]));
  for (const [t, source] of fq.sameAs) if (ranges.has(source)) ranges.set(t, ranges.get(source)!);
  for (const [t, p] of params) insertQdqPair(graph, saturateBelowContainer(graph, t, p, ranges.get(t)!), p);
  graph.sortNodes();
  return model;
}
