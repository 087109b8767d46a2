import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sliceDataset } from '../../src/data/dataset.js';
import { buildMlp } from '../../src/models/mlp.js';
import { Graph } from '../../src/onnx/graph.js';
import { readParameter } from '../../src/onnx/parameters.js';
import { findPrunableLayers } from '../../src/prune/layers.js';
import { agpPruningSteps, agpSparsity, gradualPrune } from '../../src/prune/schedules/agp.js';
import { iterativeSparsities } from '../../src/prune/schedules/iterative.js';
import { lotterySparsities, lotteryTicket, shuffledInitialization } from '../../src/prune/schedules/lottery.js';
import { sparsityReport } from '../../src/prune/sparsity.js';
import { Trainer, type TrainerConfig } from '../../src/train/trainer.js';
import { blobs } from '../train/helpers.js';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} vs ${b}`);
const all = blobs(256, 8, 4, 5);
const data = { train: sliceDataset(all, 0, 192) };
const model = buildMlp({ hidden: [16], inputDims: [8], numClasses: 4, seed: 7 });
const config: TrainerConfig = { batchSize: 32, epochs: 2, seed: 1, progress: 'silent', optimizer: { kind: 'sgd', momentum: 0.9 }, schedule: { kind: 'constant', lr: 0.1 } };

test('AGP cubic schedule values (Zhu & Gupta 2017)', () => {
  const s = { initialSparsity: 0, finalSparsity: 0.8, startStep: 0, frequency: 10, pruningSteps: 4 };
  close(agpSparsity(0, s), 0);
  close(agpSparsity(10, s), 0.8 - 0.8 * 0.75 ** 3); // 0.4625
  close(agpSparsity(20, s), 0.7);
  close(agpSparsity(40, s), 0.8);
  close(agpSparsity(100, s), 0.8);
  close(agpSparsity(5, { ...s, startStep: 10, initialSparsity: 0.1 }), 0);
  close(agpSparsity(10, { ...s, startStep: 10, initialSparsity: 0.1 }), 0.1);
  assert.deepEqual(agpPruningSteps(s), [0, 10, 20, 30, 40]);
  assert.deepEqual(iterativeSparsities(0.75, 2).map((x) => +x.toFixed(6)), [0.5, 0.75]);
});

test('gradual pruning during training reaches the final sparsity in every layer', async () => {
  const targets: number[] = [];
  const { model: out } = await gradualPrune(model, {
    importance: { method: 'magnitude' }, scope: 'layer', config, data,
    schedule: { initialSparsity: 0, finalSparsity: 0.75, startStep: 0, frequency: 2, pruningSteps: 3 },
    onPrune: (_step, sparsity) => targets.push(sparsity),
  });
  assert.equal(targets.length, 4);
  for (const layer of sparsityReport(out).layers) close(layer.zeros, Math.round(0.75 * layer.count));
});

test('lottery sparsities: 20% of the remaining weights per round, stopping at each target', () => {
  assert.deepEqual(lotterySparsities([0.5, 0.8], 0.2).map((x) => +x.toFixed(6)), [0.2, 0.36, 0.488, 0.5, 0.6, 0.68, 0.744, 0.7952, 0.8]);
});

test('lottery tickets rewind the survivors to their initial values, or to those after k steps', async () => {
  const names = findPrunableLayers(model).map((l) => l.name);
  const init = new Graph(model.graph!);
  const rounds = await lotteryTicket(model, { config, data, targets: [0.5], ratePerRound: 0.5 });
  assert.equal(rounds.length, 2);
  const ticket = new Graph(rounds[1]!.ticket.graph!);
  for (const name of names) {
    const mask = rounds[1]!.masks.get(name)!;
    const w0 = readParameter(init, name);
    readParameter(ticket, name).forEach((v, i) => assert.equal(v, mask[i] === 1 ? w0[i] : 0, `${name}[${i}]`));
  }
  // Rewinding to step 3: the values a plain run has after 3 steps (same seed, same trajectory).
  const k = 3;
  const reference = await Trainer.create(model, { ...config, maxSteps: k }, data);
  await reference.fit();
  const wk = reference.currentValues();
  await reference.dispose();
  const rewound = await lotteryTicket(model, { config, data, targets: [0.5], ratePerRound: 0.5, rewindStep: k });
  const rewoundTicket = new Graph(rewound[1]!.ticket.graph!);
  for (const name of names) {
    const mask = rewound[1]!.masks.get(name)!;
    readParameter(rewoundTicket, name).forEach((v, i) => assert.equal(v, mask[i] === 1 ? wk.get(name)![i] : 0, `${name}[${i}] rewound`));
  }
  // The control keeps each layer's initial values, in another order.
  const shuffled = new Graph(shuffledInitialization(model, 1).graph!);
  for (const name of names) {
    const a = [...readParameter(init, name)].sort();
    const b = [...readParameter(shuffled, name)].sort();
    assert.deepEqual(a, b);
    assert.notDeepEqual([...readParameter(init, name)], [...readParameter(shuffled, name)]);
  }
});
