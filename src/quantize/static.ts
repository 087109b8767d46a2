/**
 * Static post-training quantization in QDQ format: plan which tensors get a QuantizeLinear/
 * DequantizeLinear pair from the handlers' declared properties, calibrate their ranges on a
 * calibration set, then store weights as int8 (per-tensor or per-channel), biases as int32 and
 * insert the activation pairs. ORT fuses DQ -> op -> Q into integer kernels (QLinearConv, QGemm...).
 */
import { Graph } from '../onnx/graph.js';
import { decodeModel, encodeModel } from '../onnx/model.js';
import { int64ToNumber, type ModelProto, type NodeProto } from '../onnx/proto.js';
import { inferShapes, resolveInputShapes, sampleFeeds } from '../runtime/shapeInference.js';
import { RetortError } from '../util/errors.js';
import { affineParams, integerRange } from './affine.js';
import type { RangeContext, TensorRange } from './calibration/calibrator.js';
import { collectStatistics } from './calibration/collect.js';
import type { CalibrationDataReader } from './calibration/reader.js';
import { calibratorFor } from './calibration/registry.js';
import { foldBatchNormalization } from './foldBatchNorm.js';
import { quantHandlers, type QuantHandler } from './handlers.js';
import { isExcluded, type StaticOptions } from './options.js';
import { insertQdqPair, quantizeBiasInt32, quantizeInitializer, type QdqParams } from './qdq.js';

/** How one activation tensor is quantized: its own calibrated range, or the same params as another. */
export type ActivationPlan = { range: 'own' } | { range: 'same-as'; source: string };

export interface StaticPlan {
  nodes: NodeProto[];
  activations: Map<string, ActivationPlan>;
}

export interface StaticResult {
  model: ModelProto;
  plan: StaticPlan;
  ranges: Map<string, TensorRange>;
  foldedBatchNorms: number;
}

function opsetOf(model: ModelProto): number {
  return int64ToNumber(model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0);
}

/** Which nodes are quantized and which of their activation tensors get QDQ pairs. */
export function planStatic(graph: Graph, floatValues: ReadonlySet<string>, options: Pick<StaticOptions, 'exclude' | 'quantizeGraphOutputs'>): StaticPlan {
  const nodes = graph.topologicalOrder().filter((n) => quantHandlers.has(n.opType) && !isExcluded(n, options.exclude));
  const handlerOf = new Map<NodeProto, QuantHandler>(nodes.map((n) => [n, quantHandlers.get(n.opType)]));
  const activations = new Map<string, ActivationPlan>();
  const isActivation = (v: string | undefined): v is string => Boolean(v) && floatValues.has(v!) && !graph.initializer(v!);
  for (const node of nodes) {
    const handler = handlerOf.get(node)!;
    for (const i of handler.activationInputs(node)) {
      const v = node.input[i];
      if (isActivation(v) && !activations.has(v)) activations.set(v, { range: 'own' });
    }
    const out = node.output[0];
    if (!isActivation(out) || (graph.isGraphOutput(out) && !options.quantizeGraphOutputs)) continue;
    if (handler.output === 'own') activations.set(out, { range: 'own' });
    if (handler.output === 'input' && activations.has(node.input[0]!)) activations.set(out, { range: 'same-as', source: node.input[0]! });
  }
  // Conv -> Relu: one pair after the activation, none between (the runtime fuses the activation).
  for (const node of nodes) {
    if (!handlerOf.get(node)!.fusesIntoProducer) continue;
    const input = node.input[0]!;
    const producer = graph.producerOf(input);
    const producerHandler = producer ? handlerOf.get(producer) : undefined;
    if (producerHandler?.output === 'own' && graph.consumersOf(input).length === 1 && !graph.isGraphOutput(input)) activations.delete(input);
  }
  return { nodes, activations };
}

/** Quantization levels on the positive side, for threshold searches (TensorRT uses 128 for int8). */
function levelsFor(options: StaticOptions, nonNegative: boolean): number {
  const { qmin, qmax } = integerRange(options.activations.type, options.activations.symmetric);
  const span = qmax - qmin + 1;
  return nonNegative && !options.activations.symmetric ? span : Math.ceil(span / 2);
}

export async function quantizeStatic(source: ModelProto, options: StaticOptions, reader: CalibrationDataReader): Promise<StaticResult> {
  if (opsetOf(source) < 13) {
    throw new RetortError('BAD_ARGUMENT', `Static QDQ quantization needs opset 13 or later (per-channel QuantizeLinear axis); the model imports opset ${opsetOf(source)}`);
  }
  const model = decodeModel(encodeModel(source));
  const graph = new Graph(model.graph!);
  const foldedBatchNorms = options.foldBatchNorm === false ? 0 : foldBatchNormalization(graph);
  graph.sortNodes();

  const shapes = await inferShapes(model, sampleFeeds(model, resolveInputShapes(model)));
  const floatValues = new Set([...shapes].filter(([, s]) => s.type === 'float32').map(([name]) => name));
  const plan = planStatic(graph, floatValues, options);

  const own = [...plan.activations].filter(([, p]) => p.range === 'own').map(([t]) => t);
  const calibrator = calibratorFor(options.calibrator);
  const stats = await collectStatistics(model, own, reader, { kind: calibrator.statistics });
  const ranges = new Map<string, TensorRange>();
  const params = new Map<string, QdqParams>();
  const intRange = integerRange(options.activations.type, options.activations.symmetric);
  for (const t of own) {
    const s = stats.get(t)!;
    const nonNegative = s.kind === 'minmax' ? s.min >= 0 : s.histogram.nonNegative;
    const context: RangeContext = { levels: levelsFor(options, nonNegative) };
    const range = calibrator.range(s, options.calibrator, context);
    ranges.set(t, range);
    const p = affineParams(range.min, range.max, intRange, options.activations.symmetric);
    params.set(t, { type: options.activations.type, scales: Float32Array.of(p.scale), zeroPoints: Int32Array.of(p.zeroPoint) });
  }
  // Pass-through outputs reuse their source's parameters (plan order is topological).
  for (const [t, p] of plan.activations) if (p.range === 'same-as') params.set(t, params.get(p.source)!);

  for (const node of plan.nodes) {
    const handler = quantHandlers.get(node.opType);
    for (const w of handler.weightInputs?.(node, graph) ?? []) {
      const name = node.input[w.index];
      const tensor = name ? graph.initializer(name) : undefined;
      if (!tensor || !floatValues.has(name!) || tensor.dims.length < 2) continue;
      const weight = quantizeInitializer(graph, name!, { type: 'int8', symmetric: options.weights.symmetric, axis: options.weights.granularity === 'per-channel' ? w.axis : undefined }, [node]);
      const bias = handler.bias?.(node);
      const biasName = bias ? node.input[bias.index] : undefined;
      const inputParams = bias ? params.get(node.input[bias.activationInput]!) : undefined;
      if (options.bias === 'int32' && biasName && inputParams && graph.initializer(biasName)?.dims.length === 1) {
        quantizeBiasInt32(graph, biasName, inputParams.scales[0]!, weight.scales, [node]);
      }
    }
  }
  for (const [t] of plan.activations) insertQdqPair(graph, t, params.get(t)!);
  graph.sortNodes();
  return { model, plan, ranges, foldedBatchNorms };
}
