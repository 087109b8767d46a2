/** Small models, datasets and a step runner for the training tests. */
import { makeDataset, type Dataset } from '../../src/data/dataset.js';
import { Graph } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/model.js';
import { newGraph, newModel, newValueInfo, type ModelProto } from '../../src/onnx/proto.js';
import { makeTensor } from '../../src/onnx/tensor.js';
import { Session, type Feeds } from '../../src/runtime/session.js';
import { floatTensor, scalarFloat, type OrtTensor } from '../../src/runtime/tensors.js';
import type { TrainingGraph } from '../../src/train/trainingGraph.js';
import { Rng } from '../../src/util/random.js';

export function randomArray(rng: Rng, count: number, scale = 1): Float32Array {
  return Float32Array.from({ length: count }, () => (2 * rng.next() - 1) * scale);
}

function floatInfo(name: string, dims: readonly (number | string)[]) {
  return newValueInfo({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } } });
}

/**
 * y = Gemm(Gemm(x, W1^T) + b1, W2^T) + b2 with weights [out, in] as PyTorch stores them; no
 * activation, so its gradient is easy to write by hand.
 */
export interface LinearWeights {
  'l1.weight': Float32Array;
  'l1.bias': Float32Array;
  'l2.weight': Float32Array;
  'l2.bias': Float32Array;
}

export function linearModel(sizes: readonly [number, number, number], seed: number): { model: ModelProto; weights: LinearWeights } {
  const rng = new Rng(seed);
  const [inputs, hidden, outputs] = sizes;
  const weights: LinearWeights = {
    'l1.weight': randomArray(rng, hidden * inputs, 0.5),
    'l1.bias': randomArray(rng, hidden, 0.5),
    'l2.weight': randomArray(rng, outputs * hidden, 0.5),
    'l2.bias': randomArray(rng, outputs, 0.5),
  };
  const graph = new Graph(newGraph({ name: 'linear', input: [floatInfo('x', ['batch', inputs])], output: [floatInfo('y', ['batch', outputs])] }));
  graph.addInitializer(makeTensor('l1.weight', [hidden, inputs], weights['l1.weight']));
  graph.addInitializer(makeTensor('l1.bias', [hidden], weights['l1.bias']));
  graph.addInitializer(makeTensor('l2.weight', [outputs, hidden], weights['l2.weight']));
  graph.addInitializer(makeTensor('l2.bias', [outputs], weights['l2.bias']));
  graph.addNode({ opType: 'Gemm', inputs: ['x', 'l1.weight', 'l1.bias'], outputs: ['h'], attrs: { transB: 1 } });
  graph.addNode({ opType: 'Gemm', inputs: ['h', 'l2.weight', 'l2.bias'], outputs: ['y'], attrs: { transB: 1 } });
  return { model: newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: graph.proto }), weights };
}

/** Gaussian blobs around well-separated centres: linearly separable with high probability. */
export function blobs(count: number, features: number, classes: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const centres = Array.from({ length: classes }, () => randomArray(rng, features, 3));
  const inputs = new Float32Array(count * features);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const c = rng.int(classes);
    labels[i] = c;
    for (let f = 0; f < features; f++) inputs[i * features + f] = centres[c]![f]! + 0.5 * rng.normal();
  }
  return makeDataset({ name: 'blobs', inputs, inputDims: [features], labels, numClasses: classes });
}

export interface StepOutputs {
  loss: number;
  outputs: Record<string, OrtTensor>;
}

/** Runs a training graph for `steps` steps from its initial values; returns the carried values after. */
export async function runSteps(
  tg: TrainingGraph,
  steps: number,
  batchFeeds: (step: number) => Feeds,
  lr = 0.1,
): Promise<{ values: Map<string, Float32Array>; last: StepOutputs }> {
  const session = await Session.create(encodeModel(tg.model));
  const carried: Feeds = {};
  const all = [...tg.parameters, ...tg.state];
  for (const c of all) carried[c.input] = floatTensor(c.initial ? Float32Array.from(c.initial) : new Float32Array(c.dims.reduce((a, b) => a * b, 1)), c.dims);
  let last: StepOutputs = { loss: NaN, outputs: {} };
  for (let step = 0; step < steps; step++) {
    const outputs = await session.run({ ...carried, ...batchFeeds(step), lr: scalarFloat(lr), step: scalarFloat(step + 1) });
    for (const c of all) carried[c.input] = outputs[c.output]!;
    last = { loss: Number(outputs[tg.lossOutput]!.data[0]), outputs };
  }
  await session.dispose();
  return { values: new Map(all.map((c) => [c.name, carried[c.input]!.data as Float32Array])), last };
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i]! - expected[i]!);
    if (!(diff <= tolerance * Math.max(1, Math.abs(expected[i]!)))) {
      throw new Error(`${what}[${i}] = ${actual[i]}, expected ${expected[i]} (|diff| ${diff} > ${tolerance})`);
    }
  }
}
