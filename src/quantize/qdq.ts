/**
 * QuantizeLinear/DequantizeLinear emission (the ONNX "QDQ" format): the one place that writes Q/DQ
 * nodes, for static PTQ here and for quantization-aware training later (a QDQ pair on a float
 * weight is fake quantization; `quantizeInitializer` folds it into stored integers at export).
 * Per-channel parameters need opset 13 (QuantizeLinear/DequantizeLinear `axis`).
 */
import { DataType } from '../onnx/dtype.js';
import type { Graph } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/proto.js';
import { makeTensor, readFloat32, tensorDims } from '../onnx/tensor.js';
import { RetortError } from '../util/errors.js';
import { quantizeTensor, type QuantType, type QuantizedTensor, type WeightQuantization } from './affine.js';

/** Scale and zero point of one value: one entry per-tensor, or one per index of `axis`. */
export interface QdqParams {
  type: QuantType;
  scales: Float32Array;
  zeroPoints: Int32Array;
  axis?: number;
}

export interface QdqPair {
  quantize: NodeProto;
  dequantize: NodeProto;
  /** The value consumers now read: the DequantizeLinear output. */
  dequantized: string;
}

const zeroPointData = (type: QuantType, values: Int32Array): Int8Array | Uint8Array =>
  type === 'int8' ? Int8Array.from(values) : Uint8Array.from(values);

/** Scale and zero-point initializers for `base`; scalars when per-tensor (as ORT's tool writes them). */
export function addQuantParamInitializers(graph: Graph, base: string, params: QdqParams): { scale: string; zeroPoint: string } {
  const perChannel = params.axis !== undefined;
  if (!perChannel && params.scales.length !== 1) {
    throw new RetortError('BAD_ARGUMENT', `Value "${base}": ${params.scales.length} scales given without a per-channel axis`);
  }
  const dims = perChannel ? [params.scales.length] : [];
  const scale = graph.uniqueName(`${base}_scale`);
  const zeroPoint = graph.uniqueName(`${base}_zero_point`);
  graph.addInitializer(makeTensor(scale, dims, Float32Array.from(params.scales)));
  graph.addInitializer(makeTensor(zeroPoint, dims, zeroPointData(params.type, params.zeroPoints)));
  return { scale, zeroPoint };
}

function axisAttrs(params: QdqParams): { axis?: number } {
  return params.axis === undefined ? {} : { axis: params.axis };
}

/**
 * Insert Q -> DQ after `value` and point `consumers` (default: every consumer) at the DQ output.
 * A graph output keeps its name: the producer's output is renamed and the DQ writes the old name.
 * Works for activations and float initializers alike (the latter is fake-quantized weight).
 */
export function insertQdqPair(graph: Graph, value: string, params: QdqParams, consumers?: readonly NodeProto[]): QdqPair {
  const { scale, zeroPoint } = addQuantParamInitializers(graph, value, params);
  const readers = [...(consumers ?? graph.consumersOf(value))];
  let source = value;
  let dequantized = graph.uniqueName(`${value}_DequantizeLinear_Output`);
  if (consumers === undefined && graph.isGraphOutput(value)) {
    const producer = graph.producerOf(value);
    if (!producer) throw new RetortError('GRAPH_INVALID', `Graph output "${value}" has no producer to quantize`);
    source = graph.uniqueName(`${value}_float`);
    producer.output = producer.output.map((o) => (o === value ? source : o));
    graph.touch();
    dequantized = value;
  }
  const quantized = graph.uniqueName(`${value}_QuantizeLinear_Output`);
  const quantize = graph.addNode({ opType: 'QuantizeLinear', inputs: [source, scale, zeroPoint], outputs: [quantized], attrs: axisAttrs(params), name: graph.uniqueName(`${value}_QuantizeLinear`) });
  const dequantize = graph.addNode({ opType: 'DequantizeLinear', inputs: [quantized, scale, zeroPoint], outputs: [dequantized], attrs: axisAttrs(params), name: graph.uniqueName(`${value}_DequantizeLinear`) });
  if (dequantized !== value) {
    for (const reader of readers) reader.input = reader.input.map((i) => (i === value ? dequantized : i));
    graph.touch();
  }
  return { quantize, dequantize, dequantized };
}

/**
 * Replace a float initializer by stored integer codes and a DequantizeLinear that consumers read
 * (weights in QDQ format). Returns the quantization so callers can derive bias scales from it.
 */
export function quantizeInitializer(graph: Graph, name: string, q: WeightQuantization, consumers?: readonly NodeProto[]): QuantizedTensor & { dequantized: string } {
  const tensor = graph.initializer(name);
  if (!tensor) throw new RetortError('GRAPH_INVALID', `"${name}" is not an initializer, so it cannot be quantized as a weight`);
  const quantized = quantizeTensor(readFloat32(tensor), tensorDims(tensor), q);
  const dequantized = addDequantizedInitializer(graph, name, quantized, consumers);
  return { ...quantized, dequantized };
}

/** Store already-quantized codes as `<name>_quantized` + DQ, and reroute readers of `name`. */
export function addDequantizedInitializer(graph: Graph, name: string, t: QuantizedTensor, consumers?: readonly NodeProto[]): string {
  const readers = [...(consumers ?? graph.consumersOf(name))];
  const codesName = graph.uniqueName(`${name}_quantized`);
  graph.addInitializer(makeTensor(codesName, t.dims, t.codes));
  const { scale, zeroPoint } = addQuantParamInitializers(graph, name, { type: t.type, scales: t.scales, zeroPoints: t.zeroPoints, axis: t.axis });
  const dequantized = graph.uniqueName(`${name}_DequantizeLinear_Output`);
  graph.addNode({ opType: 'DequantizeLinear', inputs: [codesName, scale, zeroPoint], outputs: [dequantized], attrs: t.axis === undefined ? {} : { axis: t.axis }, name: graph.uniqueName(`${name}_DequantizeLinear`) });
  for (const reader of readers) reader.input = reader.input.map((i) => (i === name ? dequantized : i));
  graph.touch();
  if (graph.consumersOf(name).length === 0 && !graph.isGraphOutput(name)) graph.removeInitializer(name);
  return dequantized;
}

/**
 * Bias as int32 with scale = inputScale * weightScale[c] and zero point 0, as ORT's quantization
 * tool does, so integer kernels (QLinearConv, QGemm) add it to the int32 accumulator directly.
 */
export function quantizeBiasInt32(graph: Graph, name: string, inputScale: number, weightScales: Float32Array, consumers?: readonly NodeProto[]): string {
  const tensor = graph.initializer(name);
  if (!tensor) throw new RetortError('GRAPH_INVALID', `Bias "${name}" is not an initializer`);
  const bias = readFloat32(tensor);
  const perChannel = weightScales.length > 1;
  const scales = Float32Array.from({ length: perChannel ? bias.length : 1 }, (_, c) => Math.fround(inputScale * weightScales[perChannel ? c : 0]!));
  const codes = Int32Array.from(bias, (b, c) => {
    const s = scales[perChannel ? c : 0]!;
    return s === 0 ? 0 : Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(b / s)));
  });
  const readers = [...(consumers ?? graph.consumersOf(name))];
  const codesName = graph.uniqueName(`${name}_quantized`);
  graph.addInitializer(makeTensor(codesName, tensorDims(tensor), codes, DataType.INT32));
  const scaleName = graph.uniqueName(`${name}_scale`);
  const zeroName = graph.uniqueName(`${name}_zero_point`);
  const paramDims = perChannel ? [scales.length] : [];
  graph.addInitializer(makeTensor(scaleName, paramDims, scales));
  graph.addInitializer(makeTensor(zeroName, paramDims, new Int32Array(scales.length)));
  const dequantized = graph.uniqueName(`${name}_DequantizeLinear_Output`);
  graph.addNode({ opType: 'DequantizeLinear', inputs: [codesName, scaleName, zeroName], outputs: [dequantized], attrs: perChannel ? { axis: 0 } : {}, name: graph.uniqueName(`${name}_DequantizeLinear`) });
  for (const reader of readers) reader.input = reader.input.map((i) => (i === name ? dequantized : i));
  graph.touch();
  if (graph.consumersOf(name).length === 0 && !graph.isGraphOutput(name)) graph.removeInitializer(name);
  return dequantized;
}
