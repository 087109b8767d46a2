/**
 * retort's autodiff differentiates the GPT and BERT builders' graphs: gradients of a tiny config
 * against float64 central differences (modelGradCheck.ts), with the parameters redrawn larger than
 * the builders' N(0, 0.02²) so attention is far from uniform and every path carries signal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildBert } from '../../src/models/bert.js';
import { buildGpt } from '../../src/models/gpt.js';
import { Graph } from '../../src/onnx/graph.js';
import { listParameters } from '../../src/onnx/parameters.js';
import type { ModelProto } from '../../src/onnx/proto.js';
import { writeTensor } from '../../src/onnx/tensor.js';
import { int64Tensor } from '../../src/runtime/tensors.js';
import { Rng } from '../../src/util/random.js';
import { checkModelGradients } from './modelGradCheck.js';

function redraw(model: ModelProto, seed: number, std: number): ModelProto {
  const rng = new Rng(seed);
  for (const p of listParameters(new Graph(model.graph!))) {
    writeTensor(p.tensor, Float32Array.from({ length: p.dims.reduce((a, b) => a * b, 1) }, () => rng.normal() * std));
  }
  return model;
}

const tokens = (count: number, vocab: number, seed: number): number[] => {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => rng.int(vocab));
};

const size = { layers: 2, dim: 8, heads: 2, context: 6, vocabSize: 7 };

for (const tiedHead of [false, true]) {
  test(`GPT (${tiedHead ? 'tied' : 'untied'} head): gradients match float64 central differences`, async () => {
    const model = redraw(buildGpt({ ...size, tiedHead, seed: 3 }), 11, 0.5);
    const checks = await checkModelGradients(model, {
      feeds: { input_ids: int64Tensor(tokens(10, 7, 5), [2, 5]) },
      parameters: [
        'tok_emb.weight', 'pos_emb.weight', 'blocks.0.ln1.weight', 'blocks.0.attn.q.weight', 'blocks.0.attn.k.weight',
        'blocks.0.attn.v.bias', 'blocks.0.attn.out.weight', 'blocks.1.ln2.bias', 'blocks.1.mlp.fc1.weight', 'blocks.1.mlp.fc2.weight',
        'ln_f.weight', ...(tiedHead ? [] : ['head.weight']),
      ],
      samples: 4,
      seed: 1,
    });
    // Every checked gradient carries signal (a zero gradient would agree with anything).
    assert.deepEqual(checks.filter((c) => !(c.scale > 0)).map((c) => c.name), []);
  });
}

test('BERT with attention mask: gradients match float64 central differences', async () => {
  const model = redraw(buildBert({ ...size, numClasses: 3, attentionMask: true, seed: 4 }), 12, 0.5);
  const checks = await checkModelGradients(model, {
    feeds: { input_ids: int64Tensor(tokens(10, 7, 6), [2, 5]), attention_mask: int64Tensor([1, 1, 1, 1, 1, 1, 1, 1, 0, 0], [2, 5]) },
    parameters: ['tok_emb.weight', 'pos_emb.weight', 'embed.ln.weight', 'blocks.0.attn.q.weight', 'blocks.0.attn.k.weight', 'blocks.0.attn.v.weight', 'blocks.1.mlp.fc1.weight', 'blocks.1.ln2.weight', 'pooler.dense.weight', 'classifier.weight', 'classifier.bias'],
    samples: 4,
    seed: 2,
  });
  // (The key bias shifts every score of a query row equally, which softmax ignores: its gradient is 0.)
  assert.deepEqual(checks.filter((c) => !(c.scale > 0)).map((c) => c.name), []);
});
