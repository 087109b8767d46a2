/**
 * Shared by the part-B distillation tests: evaluate a LossSpec and its gradients with respect to
 * logits fed as graph inputs (stop-gradients honoured, as the training graph does), and a small
 * synthetic classification set a few training steps can learn.
 */
import { differentiate } from '../../src/autodiff/engine.js';
import { GraphBuilder } from '../../src/autodiff/builder.js';
import { registerAllGradients } from '../../src/autodiff/registerAll.js';
import { makeDataset, type Dataset } from '../../src/data/dataset.js';
import { Graph } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/model.js';
import { newGraph, newModel, newValueInfo } from '../../src/onnx/proto.js';
import { Session, type Feeds } from '../../src/runtime/session.js';
import { inferShapes } from '../../src/runtime/shapeInference.js';
import { floatTensor, int64Tensor, readFloats, readScalar } from '../../src/runtime/tensors.js';
import { LABELS_INPUT, type LossSpec } from '../../src/train/losses.js';
import { Rng } from '../../src/util/random.js';

export function softmax(row: readonly number[], temperature = 1): number[] {
  const scaled = row.map((v) => v / temperature);
  const max = Math.max(...scaled);
  const exps = scaled.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

export function kl(p: readonly number[], q: readonly number[]): number {
  return p.reduce((acc, pc, c) => acc + (pc > 0 ? pc * (Math.log(pc) - Math.log(q[c]!)) : 0), 0);
}

export interface LossEvaluation {
  loss: number;
  metrics: Record<string, number>;
  /** d loss / d each logits input. */
  gradients: Record<string, Float32Array>;
}

/**
 * Evaluate `spec` on logits inputs `logits` (name → rows), labels, and extra float inputs; the first
 * logits input is the model output.
 */
export async function evaluateLoss(spec: LossSpec, logits: Record<string, number[][]>, labels: readonly number[], extra: Record<string, { dims: number[]; values: number[] }> = {}): Promise<LossEvaluation> {
  registerAllGradients();
  const names = Object.keys(logits);
  const n = labels.length;
  const classes = logits[names[0]!]![0]!.length;
  const model = newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: newGraph({ name: 'loss' }) });
  const graph = new Graph(model.graph!);
  const info = (name: string, dims: number[], elemType = 1) => newValueInfo({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  // Each logits value is an Identity of an input, so it is a forward value like a model's.
  for (const name of names) {
    model.graph!.input.push(info(`in:${name}`, [n, classes]));
    graph.addNode({ opType: 'Identity', inputs: [`in:${name}`], outputs: [name] });
  }
  model.graph!.output.push(newValueInfo({ name: names[0]! }));
  const b = new GraphBuilder(graph, 17, 'loss/');
  if (spec.kind !== 'subgraph') throw new Error('evaluateLoss takes subgraph losses');
  const term = spec.build({ b, shape: (v) => (v.startsWith('teacher') ? [n, classes] : [n, classes]), modelOutput: names[0]! });
  model.graph!.input.push(...term.inputs.filter((i) => !model.graph!.input.some((j) => j.name === i.name)));
  const feeds: Feeds = { [LABELS_INPUT]: int64Tensor(labels, [n]) };
  for (const name of names) feeds[`in:${name}`] = floatTensor(Float32Array.from(logits[name]!.flat()), [n, classes]);
  for (const [name, { dims, values }] of Object.entries(extra)) feeds[name] = floatTensor(Float32Array.from(values), dims);
  const shapes = await inferShapes(model, feeds);
  const gradients = differentiate({ graph, loss: term.value, wrt: names.map((x) => `in:${x}`), shapes, opset: 17, stopGradients: new Set(term.stopGradients) });
  const outputs = [term.value, ...Object.values(term.metrics), ...names.map((x) => gradients.get(`in:${x}`)!)];
  const outNames = outputs.map((o, i) => {
    const name = `out${i}`;
    graph.addNode({ opType: 'Identity', inputs: [o], outputs: [name] });
    return name;
  });
  model.graph!.output = outNames.map((name) => newValueInfo({ name }));
  graph.sortNodes();
  const session = await Session.create(encodeModel(model));
  try {
    const out = await session.run(feeds);
    const metricNames = Object.keys(term.metrics);
    return {
      loss: readScalar(out[outNames[0]!]!),
      metrics: Object.fromEntries(metricNames.map((m, i) => [m, readScalar(out[outNames[1 + i]!]!)])),
      gradients: Object.fromEntries(names.map((x, i) => [x, readFloats(out[outNames[1 + metricNames.length + i]!]!)])),
    };
  } finally {
    await session.dispose();
  }
}

/** `count` samples of `features` floats whose label is the arg-max of a fixed random linear map: learnable in a few steps. */
export function syntheticDataset(count: number, features: number, classes: number, seed: number, name = 'synthetic'): Dataset {
  const rng = new Rng(seed);
  const map = Array.from({ length: classes * features }, () => rng.normal());
  const inputs = new Float32Array(count * features);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    let best = -Infinity;
    for (let f = 0; f < features; f++) inputs[i * features + f] = rng.normal();
    for (let c = 0; c < classes; c++) {
      let score = 0;
      for (let f = 0; f < features; f++) score += map[c * features + f]! * inputs[i * features + f]!;
      if (score > best) {
        best = score;
        labels[i] = c;
      }
    }
  }
  return makeDataset({ name, inputs, inputDims: [features], labels, numClasses: classes });
}
