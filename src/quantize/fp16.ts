/**
 * fp16 conversion: float initializers and computation become FLOAT16, except ops declared
 * numerically sensitive below (exponentials, normalizations, reductions: their fp16 ranges
 * overflow or lose the small differences they work on), nodes and op types the caller excludes,
 * and graph inputs/outputs the caller keeps in fp32. Cast nodes sit at every precision boundary.
 */
import { AttributeType } from '../onnx/attributes.js';
import { DataType } from '../onnx/dtype.js';
import { Graph } from '../onnx/graph.js';
import { decodeModel, encodeModel } from '../onnx/model.js';
import type { ModelProto, NodeProto, TensorProto } from '../onnx/proto.js';
import { makeTensor, readFloat32, tensorDims } from '../onnx/tensor.js';
import { inferShapes, resolveInputShapes, sampleFeeds } from '../runtime/shapeInference.js';
import { Registry } from '../util/registry.js';
import { toHalfArray } from './halfFloat.js';
import { isExcluded, type Fp16Options } from './options.js';

/** Ops kept in fp32, with why. */
export const fp32Ops = new Registry<string>('fp32-kept op')
  .register('Softmax', 'exp of logits overflows fp16 (max 65504)')
  .register('LogSoftmax', 'log-sum-exp overflows fp16')
  .register('LayerNormalization', 'mean/variance reductions lose precision in fp16')
  .register('Exp', 'overflows fp16 above x ≈ 11')
  .register('Log', 'small inputs underflow in fp16')
  .register('Pow', 'squares of activations overflow fp16')
  .register('ReduceMean', 'long reductions accumulate rounding error')
  .register('ReduceSum', 'long reductions accumulate rounding error')
  .register('ReduceSumSquare', 'squares overflow fp16')
  .register('ReduceL2', 'squares overflow fp16')
  .register('ReduceLogSumExp', 'exp overflows fp16')
  .register('Sqrt', 'variances near zero underflow');

type Precision = 'fp16' | 'fp32';

function convertTensor(t: TensorProto): TensorProto {
  return makeTensor(t.name, tensorDims(t), toHalfArray(readFloat32(t)), DataType.FLOAT16);
}

/** Cast targets and float constants inside an fp16 node follow it to FLOAT16. */
function convertAttributes(node: NodeProto): void {
  for (const a of node.attribute) {
    if (a.name === 'to' && a.type === AttributeType.INT && Number(a.i) === DataType.FLOAT) a.i = DataType.FLOAT16;
    if (a.type === AttributeType.TENSOR && a.t && a.t.dataType === DataType.FLOAT) a.t = convertTensor(a.t);
  }
}

export async function convertToFp16(source: ModelProto, options: Fp16Options): Promise<ModelProto> {
  const model = decodeModel(encodeModel(source));
  const graph = new Graph(model.graph!);
  const shapes = await inferShapes(model, sampleFeeds(model, resolveInputShapes(model)));
  const isFloat = (v: string): boolean => shapes.get(v)?.type === 'float32';
  const keep = options.keepFp32Io;
  const keptIo = (name: string): boolean => keep === 'all' || (Array.isArray(keep) && keep.includes(name));
  const precisionOf = new Map<NodeProto, Precision>(graph.nodes.map((n) => [n, fp32Ops.has(n.opType) || isExcluded(n, options.exclude) ? 'fp32' : 'fp16']));

  // Where each float value lives before any Cast.
  const home = new Map<string, Precision>();
  for (const input of graph.dataInputs) if (isFloat(input.name)) home.set(input.name, keptIo(input.name) ? 'fp32' : 'fp16');
  for (const t of [...graph.proto.initializer]) {
    if (t.dataType !== DataType.FLOAT) continue;
    const consumers = graph.consumersOf(t.name);
    const allHalf = consumers.length > 0 && consumers.every((c) => precisionOf.get(c) === 'fp16');
    home.set(t.name, allHalf ? 'fp16' : 'fp32');
    if (allHalf) Object.assign(t, convertTensor(t));
  }
  for (const node of graph.nodes) for (const o of node.output) if (o && isFloat(o)) home.set(o, precisionOf.get(node)!);

  const casts = new Map<string, string>();
  const castTo = (value: string, target: Precision): string => {
    const key = `${value}->${target}`;
    const existing = casts.get(key);
    if (existing) return existing;
    const out = graph.uniqueName(`${value}_${target}`);
    graph.addNode({ opType: 'Cast', inputs: [value], outputs: [out], attrs: { to: target === 'fp16' ? DataType.FLOAT16 : DataType.FLOAT }, name: graph.uniqueName(`${value}_cast_${target}`) });
    casts.set(key, out);
    return out;
  };
  for (const node of [...graph.nodes]) {
    const need = precisionOf.get(node)!;
    if (need === 'fp16') convertAttributes(node);
    node.input = node.input.map((i) => (i && home.has(i) && home.get(i) !== need ? castTo(i, need) : i));
  }
  for (const output of graph.proto.output) {
    const h = home.get(output.name);
    if (!h) continue;
    const want: Precision = keptIo(output.name) ? 'fp32' : 'fp16';
    if (h !== want) {
      const producer = graph.producerOf(output.name)!;
      const renamed = graph.uniqueName(`${output.name}_${h}`);
      producer.output = producer.output.map((o) => (o === output.name ? renamed : o));
      for (const c of graph.nodes) c.input = c.input.map((i) => (i === output.name ? renamed : i));
      graph.addNode({ opType: 'Cast', inputs: [renamed], outputs: [output.name], attrs: { to: want === 'fp16' ? DataType.FLOAT16 : DataType.FLOAT } });
    }
    if (output.type?.tensorType) output.type.tensorType.elemType = want === 'fp16' ? DataType.FLOAT16 : DataType.FLOAT;
  }
  for (const input of graph.dataInputs) {
    if (home.get(input.name) === 'fp16' && input.type?.tensorType) input.type.tensorType.elemType = DataType.FLOAT16;
  }
  // Declared intermediate types are now stale; ORT infers them again.
  model.graph!.valueInfo = [];
  graph.touch();
  graph.sortNodes();
  return model;
}
