/**
 * The fake-quantized training model: the float model (BatchNorm folded, as static PTQ does) with a
 * fake-quantization subgraph on every weight (per-channel, axis from the handler registry) and every
 * activation the static plan quantizes (per-tensor). It is an ordinary float ONNX model: ORT runs it,
 * the Trainer trains it, and `exportQdq` turns the trained values into the PTQ format (QDQ).
 */
import { GraphBuilder } from '../../autodiff/builder.js';
import { defaultOpset } from '../../autodiff/gradientModel.js';
import { Graph } from '../../onnx/graph.js';
import { decodeModel, encodeModel } from '../../onnx/model.js';
import type { ModelProto } from '../../onnx/proto.js';
import { makeTensor, readFloat32 } from '../../onnx/tensor.js';
import { inferShapes, resolveInputShapes, sampleFeeds } from '../../runtime/shapeInference.js';
import type { RunningStatistic } from '../../train/batchNorm.js';
import type { ParameterBound } from '../../train/trainingGraph.js';
import { RetortError } from '../../util/errors.js';
import { affineParams, type IntegerRange } from '../affine.js';
import type { CalibrationDataReader } from '../calibration/reader.js';
import { foldBatchNormalization } from '../foldBatchNorm.js';
import { quantHandlers } from '../handlers.js';
import { planStatic } from '../static.js';
import { appendFakeQuant, observedWeightScale, rangeParams, reduceAll } from './fakeQuant.js';
import { initialRanges } from './initialRanges.js';
import { checkQatOptions, type QatOptions } from './options.js';
import { bitsRange } from './ranges.js';
import { StopGradients } from './straightThrough.js';

/** How a site's step size is held during training. */
export type ScaleSource =
  | { kind: 'observed'; min?: string; max?: string }
  | { kind: 'learned'; scale: string; zeroPoint?: string };

export interface WeightSite {
  /** Index of the consuming node in the float model's (sorted) node list. */
  nodeIndex: number;
  inputIndex: number;
  weight: string;
  dims: number[];
  /** Channel axis of per-channel scales; undefined per tensor. */
  axis?: number;
  range: IntegerRange;
  scale: ScaleSource;
  /** Bias input of the node and the activation input its int32 scale derives from. */
  bias?: { name: string; activation: string };
}

export interface ActivationSite {
  value: string;
  range: IntegerRange;
  symmetric: boolean;
  scale: ScaleSource;
}

/** Trainer settings the fake-quant graph needs (spread into a TrainerConfig). */
export interface QatTrainerSettings {
  stopGradients: string[];
  buffers: RunningStatistic[];
  extraParameters: string[];
  parameterBounds: ParameterBound[];
}

export interface FakeQuantModel {
  /** Float model with fake-quant subgraphs: train this one. */
  model: ModelProto;
  /** The float model the export starts from (BatchNorm folded). */
  floatModel: ModelProto;
  options: QatOptions;
  weights: WeightSite[];
  activations: ActivationSite[];
  /** Pass-through outputs (MaxPool, Reshape...) quantized with their source's parameters at export. */
  sameAs: Map<string, string>;
  training: QatTrainerSettings;
  foldedBatchNorms: number;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Insert fake quantization; `calibration` gives the initial activation ranges. */
export async function insertFakeQuantization(source: ModelProto, options: QatOptions, calibration: CalibrationDataReader): Promise<FakeQuantModel> {
  checkQatOptions(options);
  const opset = defaultOpset(source);
  if (opset < 13) throw new RetortError('BAD_ARGUMENT', `Quantization-aware training exports QDQ with per-channel axes, which needs opset 13 or later; the model imports opset ${opset}`);
  const floatModel = decodeModel(encodeModel(source));
  const floatGraph = new Graph(floatModel.graph!);
  const foldedBatchNorms = options.foldBatchNorm === false ? 0 : foldBatchNormalization(floatGraph);
  floatGraph.sortNodes();
  const shapes = await inferShapes(floatModel, sampleFeeds(floatModel, resolveInputShapes(floatModel)));
  const floatValues = new Set([...shapes].filter(([, s]) => s.type === 'float32').map(([name]) => name));
  const plan = planStatic(floatGraph, floatValues, { exclude: options.exclude, quantizeGraphOutputs: false });
  const own = [...plan.activations].filter(([, p]) => p.range === 'own').map(([t]) => t);
  const ranges = await initialRanges(floatModel, own, calibration, options);

  const model = decodeModel(encodeModel(floatModel));
  const graph = new Graph(model.graph!);
  const nodes = [...graph.proto.node];
  const b = new GraphBuilder(graph, opset, 'qat/');
  const stops = new StopGradients(b);
  const training: QatTrainerSettings = { stopGradients: stops.values, buffers: [], extraParameters: [], parameterBounds: [] };
  const learned = options.scales.kind === 'learned';
  const scaleNames: string[] = [];

  // Weights: symmetric, zero point 0.
  const weights: WeightSite[] = [];
  const weightRange = bitsRange('int8', true, options.bits);
  const zero = b.constFloat(0);
  for (const node of plan.nodes) {
    // planStatic walks the float graph; the copy being edited has the same node order.
    const nodeIndex = floatModel.graph!.node.indexOf(node);
    const handler = quantHandlers.get(node.opType);
    for (const w of handler.weightInputs?.(node, floatGraph) ?? []) {
      const name = node.input[w.index];
      const tensor = name ? graph.initializer(name) : undefined;
      if (!tensor || !floatValues.has(name!) || tensor.dims.length < 2) continue;
      const target = nodes[nodeIndex]!;
      const dims = tensor.dims.map(Number);
      const axis = options.weights.granularity === 'per-channel' ? w.axis : undefined;
      let scale: string;
      let source: ScaleSource;
      if (learned) {
        const scaleName = graph.uniqueName(`${name}_qat_scale`);
        graph.addInitializer(makeTensor(scaleName, scaleDims(dims, axis), initialWeightScales(readFloat32(tensor), dims, axis, weightRange)));
        training.extraParameters.push(scaleName);
        scaleNames.push(scaleName);
        // LSQ's N: the number of weights sharing this step size.
        const total = dims.reduce((a, c) => a * c, 1);
        const count = axis === undefined ? total : total / dims[axis]!;
        scale = stops.scaleGradient(scaleName, 1 / Math.sqrt(count * weightRange.qmax));
        source = { kind: 'learned', scale: scaleName };
      } else {
        scale = observedWeightScale(b, stops, name!, dims, axis, weightRange);
        source = { kind: 'observed' };
      }
      target.input[w.index] = appendFakeQuant(b, stops, name!, { scale, zeroPoint: zero, range: weightRange, ste: options.ste });
      const bias = handler.bias?.(node);
      const biasName = bias ? node.input[bias.index] : undefined;
      weights.push({
        nodeIndex, inputIndex: w.index, weight: name!, dims, axis, range: weightRange, scale: source,
        bias: bias && biasName && graph.initializer(biasName)?.dims.length === 1 ? { name: biasName, activation: node.input[bias.activationInput]! } : undefined,
      });
    }
  }

  // Activations: per tensor, from the initial ranges.
  const activations: ActivationSite[] = [];
  const { type, symmetric } = options.activations;
  const activationRange = bitsRange(type, symmetric, options.bits);
  const momentum = options.scales.kind === 'observed' ? options.scales.momentum : 0;
  for (const value of own) {
    const readers = [...graph.consumersOf(value)];
    const range = ranges.get(value)!;
    let params: { scale: string; zeroPoint: string };
    let source: ScaleSource;
    if (learned) {
      const p = affineParams(range.min, range.max, activationRange, symmetric);
      const scaleName = graph.uniqueName(`${value}_qat_scale`);
      const zeroName = graph.uniqueName(`${value}_qat_zero_point`);
      graph.addInitializer(makeTensor(scaleName, [], Float32Array.of(p.scale)));
      graph.addInitializer(makeTensor(zeroName, [], Float32Array.of(p.zeroPoint)));
      training.extraParameters.push(scaleName);
      scaleNames.push(scaleName);
      // LSQ: N is the number of features of the layer (elements per sample).
      const features = shapes.get(value)!.dims.slice(1).reduce((a, c) => a * c, 1);
      params = { scale: stops.scaleGradient(scaleName, 1 / Math.sqrt(features * Math.max(1, activationRange.qmax - p.zeroPoint))), zeroPoint: zeroName };
      source = { kind: 'learned', scale: scaleName, zeroPoint: zeroName };
    } else {
      const [min, max] = [graph.uniqueName(`${value}_qat_min`), graph.uniqueName(`${value}_qat_max`)];
      graph.addInitializer(makeTensor(min, [], Float32Array.of(range.min)));
      graph.addInitializer(makeTensor(max, [], Float32Array.of(range.max)));
      // Moving averages of the batch range; this step quantizes with the previous step's range.
      const blend = (running: string, op: 'ReduceMin' | 'ReduceMax') => b.add(b.scale(running, momentum), b.scale(reduceAll(b, op, value), 1 - momentum));
      training.buffers.push({ name: min, updated: blend(min, 'ReduceMin') }, { name: max, updated: blend(max, 'ReduceMax') });
      params = rangeParams(b, min, max, activationRange, symmetric);
      source = { kind: 'observed', min, max };
    }
    const y = appendFakeQuant(b, stops, value, { ...params, range: activationRange, ste: options.ste });
    for (const reader of readers) reader.input = reader.input.map((i) => (i === value ? y : i));
    graph.touch();
    activations.push({ value, range: activationRange, symmetric, scale: source });
  }
  if (scaleNames.length > 0) {
    // Step sizes stay positive (a non-positive step would divide by zero).
    training.parameterBounds.push({ parameters: `^(${scaleNames.map(escape).join('|')})$`, min: 1e-8, max: 3.4e38 });
  }
  graph.sortNodes();
  const sameAs = new Map([...plan.activations].filter(([, p]) => p.range === 'same-as').map(([t, p]) => [t, (p as { source: string }).source]));
  return { model, floatModel, options, weights, activations, sameAs, training, foldedBatchNorms };
}

/** Dims of a per-channel scale broadcast against the weight ([M,1,1,1] for Conv), or a scalar. */
export function scaleDims(dims: readonly number[], axis: number | undefined): number[] {
  return axis === undefined ? [] : dims.map((d, i) => (i === axis ? d : 1));
}

/** max|W| / qmax per channel (1 for an all-zero channel), as the symmetric PTQ weight scale. */
export function initialWeightScales(data: Float32Array, dims: readonly number[], axis: number | undefined, range: IntegerRange): Float32Array {
  const channels = axis === undefined ? 1 : dims[axis]!;
  const inner = axis === undefined ? data.length : dims.slice(axis + 1).reduce((a, c) => a * c, 1);
  const absMax = new Float32Array(channels);
  for (let i = 0; i < data.length; i++) {
    const c = axis === undefined ? 0 : Math.floor(i / inner) % channels;
    absMax[c] = Math.max(absMax[c]!, Math.abs(data[i]!));
  }
  const half = (range.qmax - range.qmin) / 2;
  return Float32Array.from(absMax, (m) => (m > 0 ? Math.fround(m / half) : 1));
}
