/**
 * Pre-processing before quantization (ORT's `quant_pre_process` does the same through its graph
 * optimizer): BatchNormalization after a Conv whose output only it reads is folded into the Conv's
 * weight and bias, w' = w * gamma / sqrt(var + eps), b' = (b - mean) * gamma / sqrt(var + eps) + beta,
 * so the weights that get quantized are the ones inference uses and no QDQ pair sits between them.
 */
import { attrFloat } from '../onnx/attributes.js';
import type { Graph } from '../onnx/graph.js';
import { makeTensor, readFloat32, tensorDims } from '../onnx/tensor.js';

/** Fold every foldable Conv -> BatchNormalization pair in place; returns how many were folded. */
export function foldBatchNormalization(graph: Graph): number {
  let folded = 0;
  for (const bn of [...graph.nodes]) {
    if (bn.opType !== 'BatchNormalization' || bn.output.length !== 1) continue;
    const conv = graph.producerOf(bn.input[0]!);
    if (!conv || conv.opType !== 'Conv' || graph.consumersOf(conv.output[0]!).length !== 1 || graph.isGraphOutput(conv.output[0]!)) continue;
    const [gamma, beta, mean, variance] = bn.input.slice(1).map((n) => graph.initializer(n));
    const weight = graph.initializer(conv.input[1]!);
    const bias = conv.input[2] ? graph.initializer(conv.input[2]) : undefined;
    if (!gamma || !beta || !mean || !variance || !weight || (conv.input[2] && !bias)) continue;
    if (graph.consumersOf(weight.name).length !== 1 || (bias && graph.consumersOf(bias.name).length !== 1)) continue;
    const eps = attrFloat(bn, 'epsilon', 1e-5);
    const [g, b, m, v] = [gamma, beta, mean, variance].map(readFloat32) as [Float32Array, Float32Array, Float32Array, Float32Array];
    const w = readFloat32(weight);
    const dims = tensorDims(weight);
    const perChannel = w.length / dims[0]!;
    const factor = Float32Array.from(g, (gc, c) => gc / Math.sqrt(v[c]! + eps));
    const newWeight = Float32Array.from(w, (x, i) => x * factor[Math.floor(i / perChannel)]!);
    const oldBias = bias ? readFloat32(bias) : new Float32Array(dims[0]!);
    const newBias = Float32Array.from(oldBias, (x, c) => (x - m[c]!) * factor[c]! + b[c]!);
    const weightName = graph.uniqueName(`${weight.name}_folded`);
    const biasName = graph.uniqueName(`${conv.name || 'conv'}.bias_folded`);
    graph.addInitializer(makeTensor(weightName, dims, newWeight));
    graph.addInitializer(makeTensor(biasName, [dims[0]!], newBias));
    conv.input = [conv.input[0]!, weightName, biasName];
    conv.output = [bn.output[0]!];
    graph.removeNode(bn);
    for (const name of [weight.name, bias?.name, ...bn.input.slice(1)]) {
      if (name && graph.consumersOf(name).length === 0 && !graph.isGraphOutput(name)) graph.removeInitializer(name);
    }
    folded++;
  }
  return folded;
}
