import { buildMlp } from '../src/models/mlp.js';
import { buildTrainingGraph } from '../src/train/trainingGraph.js';
import { encodeModel } from '../src/onnx/model.js';
import { Session } from '../src/runtime/session.js';
import { floatTensor, int64Tensor, scalarFloat, type OrtTensor } from '../src/runtime/tensors.js';

const B = 128;
const model = buildMlp({ hidden: [800, 800], seed: 1 });
const t0 = Date.now();
const tg = await buildTrainingGraph(model, { batchSize: B, loss: { kind: 'softmaxCrossEntropy', labels: 'index' }, optimizer: { kind: 'sgd', momentum: 0.9 } });
console.log('build ms', Date.now() - t0, 'nodes', tg.model.graph!.node.length);
const session = await Session.create(encodeModel(tg.model), { name: 'train' });
const x = new Float32Array(B * 784).map(() => Math.random());
const y = BigInt64Array.from({ length: B }, () => BigInt(Math.floor(Math.random() * 10)));
let carried: Record<string, OrtTensor> = {};
for (const p of tg.parameters) carried[p.input] = floatTensor(p.initial!, p.dims);
for (const s of tg.state) carried[s.input] = floatTensor(s.initial ?? new Float32Array(s.dims.reduce((a, b) => a * b, 1)), s.dims);
const fetches = [tg.lossOutput, ...tg.parameters.map((p) => p.output), ...tg.state.map((s) => s.output)];
const mode = process.argv[2] ?? 'plain';
// double buffers
const bufs = [0, 1].map(() => Object.fromEntries([...tg.parameters, ...tg.state].map((c) => [c.output, floatTensor(new Float32Array(c.dims.reduce((a, b) => a * b, 1)), c.dims)])));
const times: number[] = [];
for (let i = 0; i < 60; i++) {
  const feeds: Record<string, OrtTensor> = { input: floatTensor(x, [B, 784]), labels: int64Tensor(y, [B]), lr: scalarFloat(0.01), step: scalarFloat(i + 1), ...carried };
  const s = performance.now();
  let r;
  if (mode === 'prealloc') {
    const out: Record<string, OrtTensor | null> = { [tg.lossOutput]: null, ...bufs[i % 2] };
    r = await session.run(feeds, out);
  } else r = await session.run(feeds, fetches);
  times.push(performance.now() - s);
  const next: Record<string, OrtTensor> = {};
  for (const c of [...tg.parameters, ...tg.state]) next[c.input] = r[c.output]!;
  carried = next;
  if (i % 20 === 0) console.log('loss', r[tg.lossOutput]!.data[0]);
}
times.sort((a, b) => a - b);
console.log(mode, 'median ms', times[30]!.toFixed(2), 'p10', times[6]!.toFixed(2));
