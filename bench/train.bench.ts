/**
 * Training-step speed (`npm run bench:train`): samples/s of one-ORT-call training steps for the
 * Hinton et al. 2015 student MLP 784-800-800-10 and LeNet-5 at batch 128 with SGD momentum, and the
 * MLP step's time over a graph of only that step's GEMMs (forward 3, backward 6, same shapes),
 * timed in the same process. Targets: >= 10,000 samples/s for the MLP, ratio <= 1.5.
 */
import { buildLeNet5 } from '../src/models/lenet.js';
import { buildMlp } from '../src/models/mlp.js';
import { encodeModel } from '../src/onnx/model.js';
import { Graph } from '../src/onnx/graph.js';
import { newGraph, newModel, newValueInfo, type ModelProto } from '../src/onnx/proto.js';
import { Session, type Feeds } from '../src/runtime/session.js';
import { floatTensor, int64Tensor, scalarFloat } from '../src/runtime/tensors.js';
import { buildTrainingGraph } from '../src/train/trainingGraph.js';
import { Rng } from '../src/util/random.js';

const BATCH = 128;
const WARMUP = 10;
const STEPS = 60;
const rng = new Rng(0);
const randomFloats = (count: number) => Float32Array.from({ length: count }, () => rng.next());
const median = (times: number[]) => [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;

/** Median ms per training step, feeding each step's parameters and state back as the next inputs. */
async function timeTrainingStep(model: ModelProto, inputDims: number[]): Promise<number> {
  const tg = await buildTrainingGraph(model, {
    batchSize: BATCH,
    loss: { kind: 'softmaxCrossEntropy', labels: 'index' },
    optimizer: { kind: 'sgd', momentum: 0.9 },
  });
  const session = await Session.create(encodeModel(tg.model), { name: 'training graph' });
  const carriedTensors = [...tg.parameters, ...tg.state];
  let carried: Feeds = {};
  for (const c of carriedTensors) carried[c.input] = floatTensor(c.initial ? Float32Array.from(c.initial) : new Float32Array(c.dims.reduce((a, b) => a * b, 1)), c.dims);
  const batch: Feeds = {
    [tg.batchInputs[0]!.name]: floatTensor(randomFloats(BATCH * inputDims.reduce((a, b) => a * b, 1)), [BATCH, ...inputDims]),
    [tg.lossInputs[0]!.name]: int64Tensor(Array.from({ length: BATCH }, () => rng.int(10)), [BATCH]),
  };
  const fetches = [tg.lossOutput, ...carriedTensors.map((c) => c.output)];
  const times: number[] = [];
  for (let step = 0; step < WARMUP + STEPS; step++) {
    const start = performance.now();
    const results = await session.run({ ...carried, ...batch, lr: scalarFloat(0.01), step: scalarFloat(step + 1) }, fetches);
    const next: Feeds = {};
    for (const c of carriedTensors) next[c.input] = results[c.output]!;
    carried = next;
    if (!Number.isFinite(Number(results[tg.lossOutput]!.data[0]))) throw new Error('benchmark diverged');
    if (step >= WARMUP) times.push(performance.now() - start);
  }
  await session.dispose();
  return median(times);
}

/** Median ms of a graph with only the MLP step's GEMMs: Y = X W^T, dW = dY^T X, dX = dY W per layer. */
async function timeGemmsOnly(widths: readonly number[]): Promise<number> {
  const graph = new Graph(newGraph({ name: 'gemms' }));
  const feeds: Feeds = {};
  const input = (name: string, dims: number[]) => {
    graph.proto.input.push(newValueInfo({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } }));
    feeds[name] = floatTensor(randomFloats(dims[0]! * dims[1]!), dims);
    return name;
  };
  const outputs: string[] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    const [inF, outF] = [widths[l]!, widths[l + 1]!];
    const [x, w, dy] = [input(`x${l}`, [BATCH, inF]), input(`w${l}`, [outF, inF]), input(`dy${l}`, [BATCH, outF])];
    graph.addNode({ opType: 'Gemm', inputs: [x, w], outputs: [`y${l}`], attrs: { transB: 1 } });
    graph.addNode({ opType: 'Gemm', inputs: [dy, x], outputs: [`dw${l}`], attrs: { transA: 1 } });
    graph.addNode({ opType: 'Gemm', inputs: [dy, w], outputs: [`dx${l}`] });
    outputs.push(`y${l}`, `dw${l}`, `dx${l}`);
  }
  graph.proto.output = outputs.map((name) => newValueInfo({ name }));
  const session = await Session.create(encodeModel(newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: graph.proto })));
  const times: number[] = [];
  for (let i = 0; i < WARMUP + STEPS; i++) {
    const start = performance.now();
    await session.run(feeds, outputs);
    if (i >= WARMUP) times.push(performance.now() - start);
  }
  await session.dispose();
  return median(times);
}

const widths = [784, 800, 800, 10];
const rows: { model: string; stepMs: number; samplesPerSecond: number; note: string }[] = [];
// Interleaved, so background load affects both measurements alike.
const mlpMs = await timeTrainingStep(buildMlp({ hidden: [800, 800], seed: 1 }), [784]);
const gemmMs = await timeGemmsOnly(widths);
rows.push({ model: 'MLP 784-800-800-10', stepMs: mlpMs, samplesPerSecond: (BATCH * 1000) / mlpMs, note: `${(mlpMs / gemmMs).toFixed(2)}x its GEMMs alone (${gemmMs.toFixed(2)} ms)` });
try {
  const lenetMs = await timeTrainingStep(buildLeNet5({ seed: 1 }), [1, 28, 28]);
  rows.push({ model: 'LeNet-5', stepMs: lenetMs, samplesPerSecond: (BATCH * 1000) / lenetMs, note: '' });
} catch (e) {
  rows.push({ model: 'LeNet-5', stepMs: NaN, samplesPerSecond: NaN, note: `not measured: ${(e as Error).message.slice(0, 120)}` });
}

console.log(`training step, batch ${BATCH}, SGD momentum, median of ${STEPS} steps`);
console.log(['model'.padEnd(20), 'ms/step'.padStart(8), 'samples/s'.padStart(10), '  notes'].join(''));
for (const r of rows) {
  console.log([r.model.padEnd(20), r.stepMs.toFixed(2).padStart(8), Math.round(r.samplesPerSecond).toString().padStart(10), `  ${r.note}`].join(''));
}
