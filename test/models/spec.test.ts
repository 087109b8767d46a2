import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildArchitecture, formatArchitecture, inputLayoutOf, parseArchitecture } from '../../src/models/spec.js';
import { Graph } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/model.js';
import { parameterCount } from '../../src/onnx/parameters.js';
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
