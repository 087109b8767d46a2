/**
 * Dynamic quantization of Conv, as ORT's quantization tool writes it (IntegerOps mode):
 * DynamicQuantizeLinear(x) -> ConvInteger(x_q, W_q, x_zp, W_zp) -> Cast(float) -> * x_scale * W_scale
 * (+ bias). ORT's ConvInteger takes one weight zero point for the whole tensor ("per-channel is not
 * supported"), so per-channel scales are kept only when every channel's zero point is the same
 * (symmetric int8: all 0); otherwise the weight is quantized per tensor.
 */
import type { Graph } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/proto.js';
import { makeTensor, readFloat32, tensorDims } from '../onnx/tensor.js';
import { quantizeTensor, type QuantType, type QuantizedTensor } from './affine.js';
import type { WeightScheme } from './options.js';

const FLOAT = 1;

function quantizeConvWeight(weight: Float32Array, dims: readonly number[], type: QuantType, scheme: WeightScheme): QuantizedTensor {
  const perChannel = quantizeTensor(weight, dims, { type, symmetric: scheme.symmetric, axis: scheme.granularity === 'per-channel' ? 0 : undefined });
  const zeroPoints = perChannel.zeroPoints;
  if (zeroPoints.every((z) => z === zeroPoints[0])) return perChannel;
  return quantizeTensor(weight, dims, { type, symmetric: scheme.symmetric });
}

/** Rewrites one Conv with a constant float weight; returns false (graph untouched) for anything else. */
export function quantizeConvDynamic(graph: Graph, node: NodeProto, weightType: QuantType, scheme: WeightScheme): boolean {
  if (node.opType !== 'Conv' || (node.domain ?? '') !== '') return false;
  const weightName = node.input[1];
  const weightTensor = weightName ? graph.initializer(weightName) : undefined;
  if (!weightName || !weightTensor || weightTensor.dataType !== FLOAT) return false;
  const dims = tensorDims(weightTensor);
  const outChannels = dims[0]!;
  const q = quantizeConvWeight(readFloat32(weightTensor), dims, weightType, scheme);
  const base = node.name || weightName;
  const name = (suffix: string): string => graph.uniqueName(`${base}_${suffix}`);

  const wQ = name('W_quantized');
  const wZp = name('W_zero_point');
  // Scales broadcast over [N, M, spatial...]: shape [M, 1, ...] (or a scalar per tensor).
  const wScale = name('W_scale');
  const scaleDims = q.axis === undefined ? [] : [outChannels, ...dims.slice(2).map(() => 1)];
  graph.addInitializer(makeTensor(wQ, dims, q.codes));
  graph.addInitializer(makeTensor(wZp, [], q.type === 'int8' ? Int8Array.of(q.zeroPoints[0]!) : Uint8Array.of(q.zeroPoints[0]!)));
  graph.addInitializer(makeTensor(wScale, scaleDims, q.scales));

  const [xQ, xScale, xZp, acc, accFloat, scaled] = ['x_quantized', 'x_scale', 'x_zero_point', 'ConvInteger_output', 'ConvInteger_float', 'x_scaled'].map(name) as [string, string, string, string, string, string];
  const output = node.output[0]!;
  const bias = node.input[2];
  const product = bias ? name('product') : output;
  const replacements: NodeProto[] = [
    graph.addNode({ opType: 'DynamicQuantizeLinear', inputs: [node.input[0]!], outputs: [xQ, xScale, xZp], name: name('DynamicQuantizeLinear') }),
    graph.addNode({ opType: 'ConvInteger', inputs: [xQ, wQ, xZp, wZp], outputs: [acc], name: name('ConvInteger') }),
    graph.addNode({ opType: 'Cast', inputs: [acc], outputs: [accFloat], attrs: { to: FLOAT }, name: name('Cast') }),
    graph.addNode({ opType: 'Mul', inputs: [accFloat, xScale], outputs: [scaled], name: name('x_scale_Mul') }),
    graph.addNode({ opType: 'Mul', inputs: [scaled, wScale], outputs: [product], name: name('W_scale_Mul') }),
  ];
  // ConvInteger has Conv's attributes (strides, pads, dilations, group, kernel_shape, auto_pad).
  replacements[1]!.attribute = node.attribute.map((a) => ({ ...a }));
  if (bias) {
    const biasShape = name('bias_shape');
    const biasReshaped = name('bias_reshaped');
    graph.addInitializer(makeTensor(biasShape, [dims.length - 1], BigInt64Array.from([outChannels, ...dims.slice(2).map(() => 1)], BigInt)));
    replacements.push(
      graph.addNode({ opType: 'Reshape', inputs: [bias, biasShape], outputs: [biasReshaped], name: name('bias_Reshape') }),
      graph.addNode({ opType: 'Add', inputs: [product, biasReshaped], outputs: [output], name: name('bias_Add') }),
    );
  }
  for (const r of replacements) graph.removeNode(r);
  graph.replaceNode(node, replacements);
  if (graph.consumersOf(weightName).length === 0) graph.removeInitializer(weightName);
  return true;
}
