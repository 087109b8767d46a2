/**
 * Dynamic int8 quantization of MatMul/Gemm: weights quantized offline to int8 (per-tensor or one
 * scale per output column), activations quantized at run time. Emitted as ORT's
 * com.microsoft.DynamicQuantizeMatMul, the kernel ORT's own optimizer fuses
 * DynamicQuantizeLinear + MatMulInteger + Mul into, so the CPU provider runs it directly.
 */
import { Graph } from '../onnx/graph.js';
import { decodeModel, encodeModel } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { makeTensor } from '../onnx/tensor.js';
import { quantizeTensor } from './affine.js';
import { quantizeConvDynamic } from './dynamicConv.js';
import { matMulFormOf, releaseWeight } from './matMulForm.js';
import { isExcluded, type DynamicOptions } from './options.js';

export const MS_DOMAIN = 'com.microsoft';

export function ensureMsOpset(model: ModelProto): void {
  if (!model.opsetImport.some((o) => o.domain === MS_DOMAIN)) model.opsetImport.push({ domain: MS_DOMAIN, version: 1 });
}

export interface DynamicResult {
  model: ModelProto;
  quantizedNodes: string[];
}

export function quantizeDynamic(source: ModelProto, options: DynamicOptions): DynamicResult {
  const model = decodeModel(encodeModel(source));
  const graph = new Graph(model.graph!);
  const quantizedNodes: string[] = [];
  for (const node of [...graph.nodes]) {
    if (isExcluded(node, options.exclude)) continue;
    if (options.conv && quantizeConvDynamic(graph, node, options.conv.weightType, options.weights)) {
      quantizedNodes.push(node.name);
      continue;
    }
    const form = matMulFormOf(node, graph);
    if (!form) continue;
    const q = quantizeTensor(form.weight, [form.k, form.n], { type: options.weightType ?? 'int8', symmetric: options.weights.symmetric, axis: options.weights.granularity === 'per-channel' ? 1 : undefined });
    const base = node.name || form.weightName;
    const weight = graph.uniqueName(`${form.weightName}_quantized`);
    const scale = graph.uniqueName(`${form.weightName}_scale`);
    const zeroPoint = graph.uniqueName(`${form.weightName}_zero_point`);
    const paramDims = q.axis === undefined ? [] : [form.n];
    graph.addInitializer(makeTensor(weight, [form.k, form.n], q.codes));
    graph.addInitializer(makeTensor(scale, paramDims, q.scales));
    graph.addInitializer(makeTensor(zeroPoint, paramDims, q.type === 'int8' ? Int8Array.from(q.zeroPoints) : Uint8Array.from(q.zeroPoints)));
    const replacement = graph.addNode({
      opType: 'DynamicQuantizeMatMul',
      domain: MS_DOMAIN,
      inputs: [form.activation, weight, scale, zeroPoint, ...(form.bias ? [form.bias] : [])],
      outputs: [node.output[0]!],
      name: graph.uniqueName(`${base}_DynamicQuantizeMatMul`),
    });
    graph.removeNode(replacement);
    graph.replaceNode(node, [replacement]);
    releaseWeight(graph, form);
    quantizedNodes.push(node.name);
  }
  ensureMsOpset(model);
  return { model, quantizedNodes };
}
