import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildBert, type BertOptions } from '../../src/models/bert.js';
import { attentionProbsName } from '../../src/models/transformer/names.js';
import { Graph } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/model.js';
import { listParameters, parameterCount } from '../../src/onnx/parameters.js';
import { newValueInfo, type ModelProto } from '../../src/onnx/proto.js';
import { Session, type Feeds } from '../../src/runtime/session.js';
import { int64Tensor, readFloats } from '../../src/runtime/tensors.js';
import { Rng } from '../../src/util/random.js';

const tiny: BertOptions = { layers: 2, dim: 16, heads: 2, context: 8, vocabSize: 13, numClasses: 3, seed: 5 };

function tokens(count: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => rng.int(tiny.vocabSize));
}

async function run(model: ModelProto, feeds: Feeds, extra: string[] = []): Promise<Record<string, { dims: number[]; values: Float32Array }>> {
  const copy = { ...model, graph: { ...model.graph!, output: [...model.graph!.output, ...extra.map((name) => newValueInfo({ name }))] } } as ModelProto;
  const session = await Session.create(encodeModel(copy), { name: 'bert test' });
  try {
    const results = await session.run(feeds);
    return Object.fromEntries(Object.entries(results).map(([k, v]) => [k, { dims: [...v.dims], values: readFloats(v).slice() }]));
  } finally {
    await session.dispose();
  }
}

test('BERT: logits [batch, classes] for seq below and at the context, post-LN and pre-LN', async () => {
  for (const norm of ['post', 'pre'] as const) {
    const model = buildBert({ ...tiny, norm });
    for (const seq of [2, tiny.context]) {
      const { logits } = await run(model, { input_ids: int64Tensor(tokens(3 * seq, seq), [3, seq]) });
      assert.deepEqual(logits!.dims, [3, tiny.numClasses]);
      assert.ok(logits!.values.every(Number.isFinite));
    }
    const names = listParameters(new Graph(model.graph!)).map((p) => p.name);
    assert.equal(names.includes('embed.ln.weight'), norm === 'post');
    assert.equal(names.includes('ln_f.weight'), norm === 'pre');
    for (const expected of ['blocks.1.attn.q.weight', 'pooler.dense.weight', 'classifier.weight', 'classifier.bias']) assert.ok(names.includes(expected));
  }
  const { dim, context, vocabSize, layers, numClasses } = tiny;
  const perBlock = 4 * (dim * dim + dim) + 2 * (4 * dim * dim) + 4 * dim + dim + 4 * dim;
  const expected = (vocabSize + context) * dim + 2 * dim + layers * perBlock + (dim * dim + dim) + (numClasses * dim + numClasses);
  assert.equal(parameterCount(new Graph(buildBert(tiny).graph!)), expected);
});

test('BERT: attention is bidirectional — the last token changes the [CLS] logits', async () => {
  const model = buildBert(tiny);
  const base = tokens(6, 1);
  const changed = [...base];
  changed[5] = (changed[5]! + 1) % tiny.vocabSize;
  const a = await run(model, { input_ids: int64Tensor(base, [1, 6]) });
  const b = await run(model, { input_ids: int64Tensor(changed, [1, 6]) });
  assert.notDeepEqual(a.logits!.values, b.logits!.values);
});

test('BERT: with the attention mask, padding tokens change nothing and get no attention', async () => {
  const model = buildBert({ ...tiny, attentionMask: true });
  assert.deepEqual(model.graph!.input.map((i) => i.name), ['input_ids', 'attention_mask']);
  const mask = int64Tensor([1, 1, 1, 1, 0, 0], [1, 6]);
  const base = tokens(6, 2);
  const padded = [...base];
  padded[4] = (padded[4]! + 3) % tiny.vocabSize;
  padded[5] = (padded[5]! + 5) % tiny.vocabSize;
  const probs = attentionProbsName(0);
  const a = await run(model, { input_ids: int64Tensor(base, [1, 6]), attention_mask: mask }, [probs]);
  const b = await run(model, { input_ids: int64Tensor(padded, [1, 6]), attention_mask: mask });
  assert.deepEqual(b.logits!.values, a.logits!.values);
  const p = a[probs]!;
  assert.deepEqual(p.dims, [1, tiny.heads, 6, 6]);
  for (let row = 0; row < p.values.length / 6; row++) assert.deepEqual([p.values[row * 6 + 4], p.values[row * 6 + 5]], [0, 0]);
  // An all-ones mask is the unmasked model.
  const unmasked = await run(buildBert(tiny), { input_ids: int64Tensor(base, [1, 6]) });
  const ones = await run(model, { input_ids: int64Tensor(base, [1, 6]), attention_mask: int64Tensor([1, 1, 1, 1, 1, 1], [1, 6]) });
  assert.deepEqual(ones.logits!.values, unmasked.logits!.values);
});

test('BERT: deterministic by seed', () => {
  assert.deepEqual(encodeModel(buildBert(tiny)), encodeModel(buildBert(tiny)));
  assert.notDeepEqual(encodeModel(buildBert({ ...tiny, seed: 6 })), encodeModel(buildBert(tiny)));
});
