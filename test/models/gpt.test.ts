import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGpt, GPT_INIT_STD, type GptOptions } from '../../src/models/gpt.js';
import { attentionProbsName } from '../../src/models/transformer/names.js';
import { Graph } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/model.js';
import { listParameters, parameterCount, readParameter } from '../../src/onnx/parameters.js';
import { newValueInfo, type ModelProto } from '../../src/onnx/proto.js';
import { Session } from '../../src/runtime/session.js';
import { int64Tensor, readFloats } from '../../src/runtime/tensors.js';
import { isRetortError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';

const tiny: GptOptions = { layers: 2, dim: 16, heads: 4, context: 8, vocabSize: 11, seed: 7 };

function randomTokens(count: number, vocab: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => rng.int(vocab));
}

/** Run with extra outputs by value name; returns dims and values of each fetched value. */
async function run(model: ModelProto, tokens: number[], dims: number[], extra: string[] = []): Promise<Record<string, { dims: number[]; values: Float32Array }>> {
  const copy = { ...model, graph: { ...model.graph!, output: [...model.graph!.output, ...extra.map((name) => newValueInfo({ name }))] } } as ModelProto;
  const session = await Session.create(encodeModel(copy), { name: 'gpt test' });
  try {
    const results = await session.run({ input_ids: int64Tensor(tokens, dims) });
    return Object.fromEntries(Object.entries(results).map(([k, v]) => [k, { dims: [...v.dims], values: readFloats(v).slice() }]));
  } finally {
    await session.dispose();
  }
}

test('GPT: logits [batch, seq, vocab] for seq below and at the context; longer sequences fail', async () => {
  const model = buildGpt(tiny);
  for (const seq of [1, 3, tiny.context]) {
    const { logits } = await run(model, randomTokens(2 * seq, 11, seq), [2, seq]);
    assert.deepEqual(logits!.dims, [2, seq, 11]);
    assert.ok(logits!.values.every(Number.isFinite));
  }
  await assert.rejects(run(model, randomTokens(2 * 9, 11, 1), [2, 9]));
  // Declared interface: int64 input_ids [batch, seq], logits [batch, seq, vocab].
  const [input] = model.graph!.input;
  assert.equal(input!.name, 'input_ids');
  assert.equal(input!.type!.tensorType!.elemType, 7);
  assert.deepEqual(input!.type!.tensorType!.shape!.dim.map((d) => d.dimParam), ['batch', 'seq']);
  assert.deepEqual(model.graph!.output[0]!.type!.tensorType!.shape!.dim.map((d) => d.dimParam || Number(d.dimValue)), ['batch', 'seq', 11]);
});

test('GPT: causal — changing token t changes no logits before t, and changes logits at t', async () => {
  const model = buildGpt({ ...tiny, seed: 3 });
  const seq = tiny.context;
  const base = randomTokens(seq, 11, 5);
  const before = (await run(model, base, [1, seq])).logits!.values;
  for (const t of [0, 3, seq - 1]) {
    const changed = [...base];
    changed[t] = (changed[t]! + 1) % 11;
    const after = (await run(model, changed, [1, seq])).logits!.values;
    const vocab = 11;
    assert.deepEqual(after.subarray(0, t * vocab), before.subarray(0, t * vocab), `positions before ${t} moved`);
    assert.notDeepEqual(after.subarray(t * vocab, (t + 1) * vocab), before.subarray(t * vocab, (t + 1) * vocab), `position ${t} did not move`);
  }
});

test('GPT: attention probabilities are addressable by name, causal, and rows sum to 1', async () => {
  const model = buildGpt(tiny);
  const seq = 5;
  const name = attentionProbsName(1);
  const probs = (await run(model, randomTokens(2 * seq, 11, 2), [2, seq], [name]))[name]!;
  assert.deepEqual(probs.dims, [2, tiny.heads, seq, seq]);
  for (let row = 0; row < probs.values.length / seq; row++) {
    const query = row % seq;
    const values = probs.values.subarray(row * seq, (row + 1) * seq);
    assert.ok(Math.abs(values.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    for (let key = query + 1; key < seq; key++) assert.equal(values[key], 0, `query ${query} sees key ${key}`);
  }
});

test('GPT: readable parameter names, parameter count, tied head', () => {
  const { layers, dim, context, vocabSize } = tiny;
  const mlp = 4 * dim;
  const perBlock = 4 * (dim * dim + dim) + (dim * mlp + mlp) + (mlp * dim + dim) + 2 * 2 * dim;
  const untied = buildGpt(tiny);
  const names = listParameters(new Graph(untied.graph!)).map((p) => p.name);
  for (const expected of ['tok_emb.weight', 'pos_emb.weight', 'blocks.0.ln1.weight', 'blocks.0.attn.q.weight', 'blocks.0.attn.k.bias', 'blocks.0.attn.v.weight', 'blocks.0.attn.out.weight', 'blocks.1.ln2.bias', 'blocks.1.mlp.fc1.weight', 'blocks.1.mlp.fc2.bias', 'ln_f.weight', 'ln_f.bias', 'head.weight']) {
    assert.ok(names.includes(expected), `${expected} missing from ${names.join(', ')}`);
  }
  const embeddings = vocabSize * dim + context * dim;
  assert.equal(parameterCount(new Graph(untied.graph!)), embeddings + layers * perBlock + 2 * dim + dim * vocabSize);
  const tied = buildGpt({ ...tiny, tiedHead: true });
  assert.equal(parameterCount(new Graph(tied.graph!)), embeddings + layers * perBlock + 2 * dim);
  assert.ok(!listParameters(new Graph(tied.graph!)).some((p) => p.name === 'head.weight'));
  // Custom MLP width.
  assert.equal(readParameter(new Graph(buildGpt({ ...tiny, mlpWidth: 24 }).graph!), 'blocks.0.mlp.fc1.weight').length, dim * 24);
});

test('GPT: tied head computes ln_f(x) · tok_embᵀ', async () => {
  const model = buildGpt({ ...tiny, tiedHead: true, seed: 9 });
  const seq = 4;
  const out = await run(model, randomTokens(seq, 11, 8), [1, seq], ['ln_f']);
  const table = readParameter(new Graph(model.graph!), 'tok_emb.weight');
  const hidden = out.ln_f!.values;
  for (let t = 0; t < seq; t++) {
    for (let v = 0; v < 11; v++) {
      let dot = 0;
      for (let d = 0; d < tiny.dim; d++) dot += hidden[t * tiny.dim + d]! * table[v * tiny.dim + d]!;
      assert.ok(Math.abs(out.logits!.values[t * 11 + v]! - dot) < 1e-5);
    }
  }
});

test('GPT: GPT-2 initialization, deterministic by seed', () => {
  const options: GptOptions = { layers: 3, dim: 64, heads: 4, context: 16, vocabSize: 50, seed: 1 };
  const a = encodeModel(buildGpt(options));
  assert.deepEqual(encodeModel(buildGpt(options)), a);
  assert.notDeepEqual(encodeModel(buildGpt({ ...options, seed: 2 })), a);
  const graph = new Graph(buildGpt(options).graph!);
  const std = (name: string): number => {
    const v = readParameter(graph, name);
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    return Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
  };
  // 4,096 to 16,384 draws: the sample std is within a few percent of the target.
  const near = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual / expected - 1) < 0.05, `${what}: std ${actual}, expected ${expected}`);
  near(std('blocks.0.attn.q.weight'), GPT_INIT_STD, 'q');
  near(std('blocks.2.mlp.fc1.weight'), GPT_INIT_STD, 'fc1');
  near(std('tok_emb.weight'), GPT_INIT_STD, 'token embedding');
  near(std('blocks.1.attn.out.weight'), GPT_INIT_STD / Math.sqrt(6), 'attention out (residual)');
  near(std('blocks.1.mlp.fc2.weight'), GPT_INIT_STD / Math.sqrt(6), 'fc2 (residual)');
  assert.ok(readParameter(graph, 'blocks.0.attn.q.bias').every((x) => x === 0));
  assert.ok(readParameter(graph, 'blocks.0.ln1.weight').every((x) => x === 1));
});

test('GPT: dropout is identity in inference; the weights do not depend on it', async () => {
  const tokens = randomTokens(6, 11, 4);
  const plain = await run(buildGpt(tiny), tokens, [1, 6]);
  const withDropout = buildGpt({ ...tiny, dropout: 0.2 });
  assert.equal(new Graph(withDropout.graph!).nodes.filter((n) => n.opType === 'Dropout').length, 1 + 3 * tiny.layers);
  assert.deepEqual((await run(withDropout, tokens, [1, 6])).logits!.values, plain.logits!.values);
});

test('GPT: bad sizes are BAD_ARGUMENT errors naming the option', () => {
  const bad = (options: Partial<GptOptions>, pattern: RegExp) =>
    assert.throws(() => buildGpt({ ...tiny, ...options }), (e: unknown) => isRetortError(e) && e.code === 'BAD_ARGUMENT' && pattern.test(e.message));
  bad({ dim: 15 }, /dim 15 is not divisible by heads 4/);
  bad({ layers: 0 }, /layers must be a positive integer/);
  bad({ vocabSize: 1.5 }, /vocabulary size/);
  bad({ dropout: 1 }, /dropout 1/);
});
