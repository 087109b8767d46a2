import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildArchitecture, formatArchitecture, inputLayoutOf, parseArchitecture } from '../../src/models/spec.js';
import { Graph } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/model.js';
import { parameterCount } from '../../src/onnx/parameters.js';
import { buildBert } from '../../src/models/bert.js';
import { buildGpt } from '../../src/models/gpt.js';
import { buildMlp } from '../../src/models/mlp.js';
import { isRetortError } from '../../src/util/errors.js';

test('parses the architecture strings retort takes', () => {
  assert.deepEqual(parseArchitecture('mlp:800,800'), { arch: 'mlp', hidden: [800, 800] });
  assert.deepEqual(parseArchitecture('mlp:1200,1200,dropout=0.5'), { arch: 'mlp', hidden: [1200, 1200], dropout: 0.5 });
  assert.deepEqual(parseArchitecture('mlp:1200, 1200, dropout=0.5, input_dropout=0.2'), { arch: 'mlp', hidden: [1200, 1200], dropout: 0.5, inputDropout: 0.2 });
  assert.deepEqual(parseArchitecture('lenet-300-100'), { arch: 'lenet-300-100' });
  assert.deepEqual(parseArchitecture('LeNet5'), { arch: 'lenet5' });
  assert.deepEqual(parseArchitecture('lenet5:conv_relu=false'), { arch: 'lenet5', convRelu: false });
  assert.deepEqual(parseArchitecture('resnet:8,16'), { arch: 'resnet', widths: [8, 16] });
  assert.deepEqual(parseArchitecture('resnet:8,16,blocks=2'), { arch: 'resnet', widths: [8, 16], blocksPerStage: 2 });
});

test('formatArchitecture round-trips', () => {
  for (const text of ['mlp:800,800', 'mlp:1200,1200,dropout=0.5,input_dropout=0.2', 'lenet-300-100', 'lenet5', 'lenet5:conv_relu=false', 'resnet:8,16', 'resnet:8,16,blocks=2']) {
    assert.equal(formatArchitecture(parseArchitecture(text)), text);
  }
  assert.equal(inputLayoutOf(parseArchitecture('lenet5')), 'image');
  assert.equal(inputLayoutOf(parseArchitecture('mlp:10')), 'flat');
});

test('bad architecture strings are BAD_ARGUMENT listing the valid forms', () => {
  const cases: [string, RegExp][] = [
    ['vgg16', /unknown architecture "vgg16".*Should be one of: mlp:800,800,dropout=0.5, lenet-300-100, lenet5, resnet:8,16,blocks=2/],
    ['mlp', /mlp needs widths/],
    ['mlp:800,x', /"x" is not a positive integer width/],
    ['mlp:800,dropout=1.5', /dropout=1.5 must be a number in \[0, 1\)/],
    ['mlp:800,blocks=2', /mlp takes options dropout, input_dropout, not "blocks"/],
    ['mlp:dropout=0.5,800', /comes after an option/],
    ['lenet-300-100:5', /takes no widths/],
    ['lenet5:conv_relu=maybe', /true or false/],
    ['resnet:8,blocks=0', /blocks=0 must be a positive integer/],
  ];
  for (const [text, pattern] of cases) {
    assert.throws(() => parseArchitecture(text), (e: unknown) => isRetortError(e) && e.code === 'BAD_ARGUMENT' && pattern.test(e.message), text);
  }
});

test('buildArchitecture builds what the builder would', () => {
  const fromSpec = buildArchitecture('mlp:800,800', { seed: 2 });
  assert.ok(Buffer.from(encodeModel(fromSpec)).equals(Buffer.from(encodeModel(buildMlp({ hidden: [800, 800], seed: 2 })))));
  assert.equal(parameterCount(new Graph(buildArchitecture('lenet-300-100', { seed: 0 }).graph!)), 266610);
  assert.equal(parameterCount(new Graph(buildArchitecture('lenet5', { seed: 0 }).graph!)), 431080);
  assert.equal(buildArchitecture('resnet:4,8,blocks=2', { seed: 0, numClasses: 3 }).graph!.output[0]!.name, 'logits');
});

test('transformer architecture strings: parse, canonical round trip, token inputs', () => {
  assert.deepEqual(parseArchitecture('gpt:layers=4,dim=128,heads=4,context=128,vocab=65'), { arch: 'gpt', layers: 4, dim: 128, heads: 4, context: 128, vocab: 65 });
  assert.deepEqual(parseArchitecture('GPT: tied, dropout=0.1, vocab=65, context=64, heads=2, dim=32, layers=2, mlp=64'), {
    arch: 'gpt', layers: 2, dim: 32, heads: 2, context: 64, vocab: 65, mlp: 64, dropout: 0.1, tied: true,
  });
  assert.deepEqual(parseArchitecture('bert:layers=2,dim=64,heads=4,context=64,vocab=1000,classes=2,norm=pre,mask'), {
    arch: 'bert', layers: 2, dim: 64, heads: 4, context: 64, vocab: 1000, classes: 2, norm: 'pre', attentionMask: true,
  });
  // Defaults leave the canonical string: norm=post, dropout=0.
  assert.equal(formatArchitecture(parseArchitecture('bert:layers=1,dim=8,heads=2,context=4,norm=post,dropout=0')), 'bert:layers=1,dim=8,heads=2,context=4');
  for (const text of [
    'gpt:layers=4,dim=128,heads=4,context=128,vocab=65',
    'gpt:layers=2,dim=32,heads=2,context=64,vocab=65,mlp=64,dropout=0.1,tied',
    'gpt:layers=2,dim=32,heads=2,context=64',
    'bert:layers=2,dim=64,heads=4,context=64,vocab=1000,classes=2',
    'bert:layers=2,dim=64,heads=4,context=64,vocab=1000,classes=2,mlp=128,dropout=0.1,norm=pre,mask',
  ]) {
    assert.equal(formatArchitecture(parseArchitecture(text)), text);
    assert.equal(inputLayoutOf(parseArchitecture(text)), 'tokens');
  }
});

test('bad transformer strings are BAD_ARGUMENT naming the problem', () => {
  const cases: [string, RegExp][] = [
    ['gpt:layers=4', /gpt needs dim=N, heads=N, context=N, e\.g\. gpt:layers=4,dim=128/],
    ['gpt:layers=4,dim=130,heads=4,context=128', /dim=130 is not divisible by heads=4/],
    ['gpt:layers=4,dim=128,heads=4,context=128,tie', /gpt takes flags tied, not "tie"/],
    ['gpt:layers=4,dim=128,heads=4,context=128,mask', /gpt takes flags tied, not "mask"/],
    ['gpt:layers=4,dim=128,heads=4,context=128,classes=2', /gpt takes options layers, dim, heads, context, vocab, mlp, dropout, not "classes"/],
    ['gpt:layers=4,dim=128,heads=4,context=0', /context=0 must be a positive integer/],
    ['gpt:layers=4,layers=2,dim=128,heads=4,context=8', /layers is given twice/],
    ['gpt:8,8', /gpt takes no widths/],
    ['bert:layers=1,dim=8,heads=2,context=4,norm=mid', /norm=mid must be pre or post/],
    ['bert:layers=1,dim=8,heads=2,context=4,dropout=2', /dropout=2 must be a number in \[0, 1\)/],
  ];
  for (const [text, pattern] of cases) {
    assert.throws(() => parseArchitecture(text), (e: unknown) => isRetortError(e) && e.code === 'BAD_ARGUMENT' && pattern.test(e.message), text);
  }
});

test('buildArchitecture builds GPT and BERT; vocab and classes may come from the data', () => {
  const fromSpec = buildArchitecture('gpt:layers=2,dim=16,heads=2,context=8,vocab=11,tied', { seed: 3 });
  assert.ok(Buffer.from(encodeModel(fromSpec)).equals(Buffer.from(encodeModel(buildGpt({ layers: 2, dim: 16, heads: 2, context: 8, vocabSize: 11, tiedHead: true, seed: 3 })))));
  const fromData = buildArchitecture('gpt:layers=2,dim=16,heads=2,context=8', { seed: 3, vocabSize: 11 });
  assert.equal(Number(fromData.graph!.output[0]!.type!.tensorType!.shape!.dim[2]!.dimValue), 11);
  const bert = buildArchitecture('bert:layers=1,dim=16,heads=2,context=8,vocab=20,norm=pre,mask', { seed: 1, numClasses: 4 });
  assert.ok(Buffer.from(encodeModel(bert)).equals(Buffer.from(encodeModel(buildBert({ layers: 1, dim: 16, heads: 2, context: 8, vocabSize: 20, numClasses: 4, norm: 'pre', attentionMask: true, seed: 1 })))));
  const fails = (text: string, options: { vocabSize?: number; numClasses?: number }, pattern: RegExp) =>
    assert.throws(() => buildArchitecture(text, { seed: 0, ...options }), (e: unknown) => isRetortError(e) && e.code === 'BAD_ARGUMENT' && pattern.test(e.message), text);
  fails('gpt:layers=1,dim=8,heads=2,context=4', {}, /needs vocab=N \(its vocabulary size\)/);
  fails('gpt:layers=1,dim=8,heads=2,context=4,vocab=5', { vocabSize: 6 }, /says vocab=5, but the data has vocabulary size 6/);
  fails('bert:layers=1,dim=8,heads=2,context=4,vocab=5', {}, /needs classes=N/);
});
