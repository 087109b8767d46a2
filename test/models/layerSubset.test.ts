/**
 * DistilBERT-style student initialization: a student made of teacher layers computes exactly what
 * the teacher's corresponding layers compute.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildBert } from '../../src/models/bert.js';
import { buildGpt, type GptOptions } from '../../src/models/gpt.js';
import { everyOtherLayer, studentFromTeacherLayers, transformerLayerCount } from '../../src/models/layerSubset.js';
import { buildMlp } from '../../src/models/mlp.js';
import { blockName } from '../../src/models/transformer/names.js';
import { Graph } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/model.js';
import { listParameters, readParameter, writeParameter } from '../../src/onnx/parameters.js';
import { newValueInfo, type ModelProto } from '../../src/onnx/proto.js';
import { DataType } from '../../src/onnx/dtype.js';
import { Session, type Feeds } from '../../src/runtime/session.js';
import { floatTensor, int64Tensor, readFloats } from '../../src/runtime/tensors.js';
import { isRetortError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';

const size: GptOptions = { layers: 4, dim: 16, heads: 4, context: 8, vocabSize: 11, seed: 21 };
const batch = 2;
const seq = 6;

function feedsOf(seed: number): Feeds {
  const rng = new Rng(seed);
  return { input_ids: int64Tensor(Array.from({ length: batch * seq }, () => rng.int(size.vocabSize)), [batch, seq]) };
}

async function values(model: ModelProto, feeds: Feeds, outputs: string[]): Promise<Record<string, Float32Array>> {
  const copy = { ...model, graph: { ...model.graph!, output: outputs.map((name) => newValueInfo({ name })) } } as ModelProto;
  const session = await Session.create(encodeModel(copy), { name: 'layer subset test' });
  try {
    const results = await session.run(feeds);
    return Object.fromEntries(outputs.map((name) => [name, readFloats(results[name]!).slice()]));
  } finally {
    await session.dispose();
  }
}

/** The largest |a - b|. */
const maxDifference = (a: Float32Array, b: Float32Array): number => {
  assert.equal(a.length, b.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
};

test('every parameter of the student is the teacher parameter it came from', () => {
  const teacher = buildGpt(size);
  const layers = [1, 3];
  const student = studentFromTeacherLayers(teacher, layers);
  const [t, s] = [new Graph(teacher.graph!), new Graph(student.graph!)];
  assert.equal(transformerLayerCount(student), 2);
  const studentNames = listParameters(s).map((p) => p.name);
  const expected = listParameters(t)
    .map((p) => p.name)
    .flatMap((name) => {
      const block = /^blocks\.(\d+)\./.exec(name);
      if (!block) return [[name, name]];
      const j = layers.indexOf(Number(block[1]));
      return j < 0 ? [] : [[name, `${blockName(j)}${name.slice(block[0].length - 1)}`]];
    });
  assert.deepEqual([...studentNames].sort(), expected.map(([, to]) => to!).sort());
  for (const [from, to] of expected) assert.deepEqual(readParameter(s, to!), readParameter(t, from!), `${to} is not teacher ${from}`);
  assert.match(student.docString ?? '', /^Layers \[1, 3\] of 4: GPT decoder/);
});

test('student from layers [0, 1] equals the teacher truncated after block 1', async () => {
  const teacher = buildGpt(size);
  const student = studentFromTeacherLayers(teacher, [0, 1]);
  // The truncated teacher, built independently: a fresh 2-layer GPT given the teacher's weights by name.
  const truncated = buildGpt({ ...size, layers: 2, seed: 99 });
  const source = new Graph(teacher.graph!);
  for (const p of listParameters(new Graph(truncated.graph!))) writeParameter(new Graph(truncated.graph!), p.name, readParameter(source, p.name));
  const feeds = feedsOf(1);
  const fromStudent = await values(student, feeds, ['logits', 'blocks.1']);
  const fromTruncated = await values(truncated, feeds, ['logits', 'blocks.1']);
  const fromTeacher = await values(teacher, feeds, ['blocks.1']);
  assert.equal(maxDifference(fromStudent.logits!, fromTruncated.logits!), 0);
  assert.equal(maxDifference(fromStudent['blocks.1']!, fromTeacher['blocks.1']!), 0);
});

test('student from layers [0, 2]: block 1 of the student is teacher block 2 applied to teacher block 0', async () => {
  const teacher = buildGpt(size);
  const student = studentFromTeacherLayers(teacher, [0, 2]);
  const feeds = feedsOf(2);
  const fromTeacher = await values(teacher, feeds, ['blocks.0']);
  const fromStudent = await values(student, feeds, ['blocks.0', 'blocks.1']);
  assert.equal(maxDifference(fromStudent['blocks.0']!, fromTeacher['blocks.0']!), 0);
  // Teacher block 2 on a given hidden state: cut the teacher's graph so `blocks.1` is an input.
  const cut = { ...teacher, graph: { ...teacher.graph!, node: teacher.graph!.node.filter((n) => n.name !== 'blocks.1'), input: [...teacher.graph!.input] } } as ModelProto;
  cut.graph!.input.push(newValueInfo({ name: 'blocks.1', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [batch, seq, size.dim].map((d) => ({ dimValue: d })) } } } }));
  const block2 = await values(cut, { ...feeds, 'blocks.1': floatTensor(fromTeacher['blocks.0']!, [batch, seq, size.dim]) }, ['blocks.2']);
  assert.ok(maxDifference(fromStudent['blocks.1']!, block2['blocks.2']!) <= 1e-6);
});

test('BERT: every other layer (DistilBERT), pooler and classifier kept', async () => {
  const teacher = buildBert({ layers: 4, dim: 16, heads: 2, context: 8, vocabSize: 11, numClasses: 3, attentionMask: true, seed: 4 });
  assert.deepEqual(everyOtherLayer(4), [0, 2]);
  assert.deepEqual(everyOtherLayer(5), [0, 2, 4]);
  const student = studentFromTeacherLayers(teacher, everyOtherLayer(4));
  const [t, s] = [new Graph(teacher.graph!), new Graph(student.graph!)];
  assert.deepEqual(readParameter(s, 'blocks.1.attn.q.weight'), readParameter(t, 'blocks.2.attn.q.weight'));
  assert.deepEqual(readParameter(s, 'classifier.weight'), readParameter(t, 'classifier.weight'));
  const feeds = { ...feedsOf(3), attention_mask: int64Tensor([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0], [batch, seq]) };
  const fromStudent = await values(student, feeds, ['logits', 'blocks.0']);
  const fromTeacher = await values(teacher, feeds, ['blocks.0']);
  assert.equal(maxDifference(fromStudent['blocks.0']!, fromTeacher['blocks.0']!), 0);
  assert.equal(fromStudent.logits!.length, batch * 3);
});

test('the teacher is left alone, and the student owns its tensors', () => {
  const teacher = buildGpt(size);
  const before = encodeModel(teacher);
  const student = studentFromTeacherLayers(teacher, [0, 3]);
  assert.deepEqual(encodeModel(teacher), before);
  const s = new Graph(student.graph!);
  writeParameter(s, 'tok_emb.weight', new Float32Array(size.vocabSize * size.dim));
  writeParameter(s, 'blocks.1.attn.q.weight', new Float32Array(size.dim * size.dim));
  assert.deepEqual(encodeModel(teacher), before);
});

test('bad layer lists and models without blocks are errors', () => {
  const teacher = buildGpt(size);
  const fails = (layers: number[], pattern: RegExp) =>
    assert.throws(() => studentFromTeacherLayers(teacher, layers), (e: unknown) => isRetortError(e) && e.code === 'BAD_ARGUMENT' && pattern.test(e.message), JSON.stringify(layers));
  fails([], /at least one/);
  fails([0, 4], /Layer 4: the teacher has layers 0\.\.3/);
  fails([2, 1], /ascending/);
  fails([1, 1], /ascending/);
  assert.throws(() => studentFromTeacherLayers(buildMlp({ hidden: [8], seed: 1 }), [0]), (e: unknown) => isRetortError(e) && e.code === 'GRAPH_INVALID' && /no transformer blocks/.test(e.message));
});
