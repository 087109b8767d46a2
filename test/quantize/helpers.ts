/** Shared pieces of the quantization tests: tiny hand-built models and output comparisons. */
import { Graph } from '../../src/onnx/graph.js';
import { newGraph, newModel, newValueInfo, type ModelProto, type TensorProto } from '../../src/onnx/proto.js';
import { encodeModel } from '../../src/onnx/model.js';
import { Session, type Feeds } from '../../src/runtime/session.js';

export function floatInfo(name: string, dims: (number | string)[]) {
  return newValueInfo({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } });
}

/** y = MatMul(x, W) for a constant W [K, N]. */
export function matMulModel(weight: TensorProto, k: number, n: number): ModelProto {
  const graph = new Graph(newGraph({ name: 'matmul', input: [floatInfo('x', ['batch', k])], output: [floatInfo('y', ['batch', n])] }));
  graph.addInitializer(weight);
  graph.addNode({ opType: 'MatMul', inputs: ['x', weight.name], outputs: ['y'], name: 'matmul' });
  return newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: graph.proto });
}

export async function runFirstOutput(model: ModelProto, feeds: Feeds): Promise<Float32Array> {
  const session = await Session.create(encodeModel(model));
  try {
    const out = await session.run(feeds);
    return out[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.dispose();
  }
}

export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  return dot / Math.sqrt(na * nb);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
