import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sliceDataset } from '../../src/data/dataset.js';
import { buildMlp } from '../../src/models/mlp.js';
import { Graph } from '../../src/onnx/graph.js';
import { readParameter } from '../../src/onnx/parameters.js';
import { findPrunableLayers, readLayerWeights } from '../../src/prune/layers.js';
import { createMaskedTrainer } from '../../src/prune/maskedTraining.js';
import { MOVEMENT_STATISTIC, movementStatistic } from '../../src/prune/importance/index.js';
import { magnitudePrune } from '../../src/prune/prune.js';
import { Trainer, type TrainerConfig } from '../../src/train/trainer.js';
import { blobs } from '../train/helpers.js';

const all = blobs(256, 8, 4, 5);
const data = { train: sliceDataset(all, 0, 192), validation: sliceDataset(all, 192, 256) };
const model = buildMlp({ hidden: [16], dropout: 0.2, inputDims: [8], numClasses: 4, seed: 7 });
// Momentum and weight decay would move zero weights if the update were not masked.
const config: TrainerConfig = {
  batchSize: 32, epochs: 2, seed: 1, progress: 'silent',
  optimizer: { kind: 'sgd', momentum: 0.9, weightDecay: 0.01 }, schedule: { kind: 'constant', lr: 0.1 },
};

test('masks keep pruned weights exactly zero through training, and the export folds them (W ⊙ M)', async () => {
  const pruned = magnitudePrune(model, { sparsity: 0.6 });
  const trainer = await createMaskedTrainer(model, pruned.masks, config, data);
  await trainer.fit();
  const carried = new Map(trainer.toCheckpoint().tensors.map((t) => [t.name, t.data]));
  const exported = new Graph(trainer.exportModel().graph!);
  for (const [name, mask] of pruned.masks) {
    const raw = carried.get(name)!;
    const out = readParameter(exported, name);
    const before = readParameter(new Graph(pruned.model.graph!), name);
    let moved = 0;
    mask.forEach((m, i) => {
      if (m === 0) {
        assert.ok(raw[i] === 0, `${name}[${i}] carried: ${raw[i]}`); // -0 allowed in the training graph
        assert.equal(out[i], 0, `${name}[${i}] exported`);
      } else {
        assert.equal(out[i], raw[i]);
        if (out[i] !== before[i]) moved++;
      }
    });
    assert.ok(moved > 0, `${name}: kept weights trained`);
  }
  // New masks mid-run zero the newly pruned weights at once.
  const tighter = magnitudePrune(trainer.exportModel(), { sparsity: 0.8, previous: pruned.masks }).masks;
  trainer.setMasks(tighter);
  const values = trainer.currentValues();
  for (const [name, mask] of tighter) mask.forEach((m, i) => { if (m === 0) assert.equal(values.get(name)![i], 0); });
  await trainer.dispose();
});

test('movement statistic: after one SGD step, S = -W0 ⊙ dL/dW = -W0 ⊙ (W0 - W1) / lr', async () => {
  const layers = findPrunableLayers(model);
  const lr = 0.05;
  const trainer = await Trainer.create(model, { ...config, optimizer: { kind: 'sgd', momentum: 0 }, schedule: { kind: 'constant', lr }, maxSteps: 1, parameterStatistics: [movementStatistic(layers.map((l) => l.name))] }, data);
  const w0 = readLayerWeights(model, layers);
  await trainer.fit();
  const w1 = trainer.currentValues();
  const scores = trainer.parameterStatistic(MOVEMENT_STATISTIC);
  await trainer.dispose();
  for (const layer of layers) {
    const s = scores.get(layer.name)!;
    const a = w0.get(layer.name)!;
    const b = w1.get(layer.name)!;
    s.forEach((v, i) => {
      const expected = (-a[i]! * (a[i]! - b[i]!)) / lr;
      assert.ok(Math.abs(v - expected) < 1e-4 * Math.max(1, Math.abs(expected)), `${layer.name}[${i}]: ${v} vs ${expected}`);
    });
  }
});
