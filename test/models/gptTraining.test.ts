/**
 * The GPT builder's graph trains: src/train's training graph (forward, per-position cross-entropy,
 * backward and Adam in one ORT graph) built for int64 token inputs and driven step by step from the
 * test, overfitting one fixed random batch. (The Trainer's own token-sequence path belongs to the
 * language-model task; this checks the builder's graph against the graph machinery alone.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGpt } from '../../src/models/gpt.js';
import { Graph } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/model.js';
import { Session, type Feeds } from '../../src/runtime/session.js';
import { floatTensor, int64Tensor, readScalar } from '../../src/runtime/tensors.js';
import { buildTrainingGraph, LR_INPUT, STEP_INPUT } from '../../src/train/trainingGraph.js';
import { Rng } from '../../src/util/random.js';

const vocab = 20;
const [batch, seq] = [4, 16];

function randomTokens(count: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => rng.int(vocab));
}

async function trainSteps(dropout: number, steps: number): Promise<{ losses: number[]; dropoutSites: number }> {
  const model = buildGpt({ layers: 2, dim: 32, heads: 4, context: seq, vocabSize: vocab, dropout, seed: 1 });
  const graph = await buildTrainingGraph(model, {
    batchSize: batch,
    inputShapes: { input_ids: [batch, seq] },
    loss: { kind: 'softmaxCrossEntropy', labels: 'index' },
    optimizer: { kind: 'adam' },
  });
  assert.deepEqual(graph.batchInputs.map((i) => [i.name, i.type, i.dims]), [['input_ids', 'int64', [batch, seq]]]);
  assert.deepEqual(graph.lossInputs.map((i) => [i.type, i.dims]), [['int64', [batch, seq]]]);
  // Next-token prediction on one fixed random text: labels are the inputs shifted by one.
  const text = randomTokens(batch * (seq + 1), 7);
  const inputs = Array.from({ length: batch }, (_, b) => text.slice(b * (seq + 1), b * (seq + 1) + seq)).flat();
  const labels = Array.from({ length: batch }, (_, b) => text.slice(b * (seq + 1) + 1, (b + 1) * (seq + 1))).flat();

  const session = await Session.create(encodeModel(graph.model), { name: 'gpt training graph' });
  const carried: Feeds = {};
  for (const c of [...graph.parameters, ...graph.state]) carried[c.input] = floatTensor(c.initial ? Float32Array.from(c.initial) : new Float32Array(c.dims.reduce((a, b) => a * b, 1)), c.dims);
  const losses: number[] = [];
  try {
    for (let step = 0; step < steps; step++) {
      const feeds: Feeds = {
        ...carried,
        input_ids: int64Tensor(inputs, [batch, seq]),
        [graph.lossInputs[0]!.name]: int64Tensor(labels, [batch, seq]),
        [LR_INPUT]: floatTensor(Float32Array.of(3e-3), []),
        [STEP_INPUT]: floatTensor(Float32Array.of(step + 1), []),
      };
      // Keep-all masks (inverted dropout scale 1): the dropout sites are exercised, the loss stays comparable.
      for (const site of graph.dropout) feeds[site.input] = floatTensor(new Float32Array(site.dims.reduce((a, b) => a * b, 1)).fill(1), site.dims);
      const results = await session.run(feeds);
      losses.push(readScalar(results[graph.lossOutput]!));
      for (const c of [...graph.parameters, ...graph.state]) carried[c.input] = results[c.output]!;
    }
  } finally {
    await session.dispose();
  }
  return { losses, dropoutSites: graph.dropout.length };
}

test('GPT: 30 Adam steps of the training graph overfit one random token batch', async () => {
  const { losses } = await trainSteps(0, 30);
  // Untrained, the model is near uniform over the vocabulary: loss ≈ ln(vocab).
  assert.ok(Math.abs(losses[0]! - Math.log(vocab)) < 0.1, `first loss ${losses[0]}, ln(${vocab}) = ${Math.log(vocab)}`);
  assert.ok(losses.every(Number.isFinite));
  const last = losses[losses.length - 1]!;
  assert.ok(last < 0.5 * losses[0]!, `loss ${losses[0]} -> ${last} after 30 steps: ${losses.map((l) => l.toFixed(3)).join(' ')}`);
});

test('GPT with dropout: the training graph turns every Dropout into a mask input', async () => {
  const { losses, dropoutSites } = await trainSteps(0.1, 3);
  assert.equal(dropoutSites, 1 + 3 * 2);
  assert.ok(losses[2]! < losses[0]!);
  // The inference graph itself keeps its Dropout nodes (identity in ORT).
  assert.equal(new Graph(buildGpt({ layers: 2, dim: 32, heads: 4, context: seq, vocabSize: vocab, dropout: 0.1, seed: 1 }).graph!).nodes.filter((n) => n.opType === 'Dropout').length, 7);
});
