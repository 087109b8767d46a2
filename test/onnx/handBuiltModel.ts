/**
 * A small model built by hand with the Graph API, holding the things exporters' models have and a
 * round trip could lose: a Constant-node weight, a com.microsoft op and opset import, metadata_props,
 * doc strings, and an If node whose branches are subgraphs (one with its own initializer, both
 * reading an outer value).
 *
 *   x[N,3] --MatMul(W: Constant [3,4])--Add(b [4])--com.microsoft:Gelu--> g
 *   z = If(cond) then Relu(g) else g * s   (s: else-branch initializer [4])
 */
import { DataType } from '../../src/onnx/dtype.js';
import { Graph } from '../../src/onnx/graph.js';
import { newGraph, newModel, newValueInfo, type GraphProto, type ModelProto, type ValueInfoProto } from '../../src/onnx/proto.js';
import { makeTensor } from '../../src/onnx/tensor.js';

export const handBuiltWeights = {
  /** Constant-node weight W, [3, 4]. */
  W: Float32Array.from({ length: 12 }, (_, i) => (i - 5.5) / 4),
  /** Initializer b, [4]. */
  b: Float32Array.of(0.5, -0.25, 0.125, -1),
  /** Else-branch initializer s, [4]. */
  s: Float32Array.of(2, -1, 0.5, 3),
};

function tensorInfo(name: string, elemType: number, dims: readonly (number | string)[]): ValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return newValueInfo({ name, type: { tensorType: { elemType, shape: { dim } } } });
}

function branch(name: string, build: (g: Graph) => void): GraphProto {
  const proto = newGraph({ name, output: [tensorInfo(`${name}_out`, DataType.FLOAT, ['N', 4])], docString: `${name} of the If` });
  build(new Graph(proto));
  return proto;
}

export function buildHandModel(): ModelProto {
  const graph = new Graph(
    newGraph({
      name: 'hand_built',
      docString: 'built by hand for round-trip tests',
      input: [tensorInfo('x', DataType.FLOAT, ['N', 3]), tensorInfo('cond', DataType.BOOL, [])],
      output: [tensorInfo('z', DataType.FLOAT, ['N', 4])],
    }),
  );
  graph.addNode({ opType: 'Constant', inputs: [], outputs: ['W'], attrs: { value: makeTensor('', [3, 4], handBuiltWeights.W) }, name: 'weight' });
  graph.addInitializer(makeTensor('b', [4], handBuiltWeights.b));
  graph.addNode({ opType: 'MatMul', inputs: ['x', 'W'], outputs: ['xw'], name: 'matmul' });
  graph.addNode({ opType: 'Add', inputs: ['xw', 'b'], outputs: ['y'], name: 'bias' });
  const gelu = graph.addNode({ opType: 'Gelu', domain: 'com.microsoft', inputs: ['y'], outputs: ['g'], name: 'gelu' });
  gelu.docString = 'contrib op: needs the com.microsoft opset import';
  const thenBranch = branch('then', (g) => g.addNode({ opType: 'Relu', inputs: ['g'], outputs: ['then_out'] }));
  const elseBranch = branch('else', (g) => {
    g.addInitializer(makeTensor('s', [4], handBuiltWeights.s));
    g.addNode({ opType: 'Mul', inputs: ['g', 's'], outputs: ['else_out'] });
  });
  graph.addNode({ opType: 'If', inputs: ['cond'], outputs: ['z'], attrs: { then_branch: thenBranch, else_branch: elseBranch }, name: 'choose' });
  return newModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }, { domain: 'com.microsoft', version: 1 }],
    producerName: 'retort-tests',
    producerVersion: '0.1.0',
    docString: 'hand-built model',
    metadataProps: [{ key: 'purpose', value: 'round trip' }, { key: 'unicode', value: 'ü – ✓' }],
    graph: graph.proto,
  });
}

/** A model with one convolution of each kind, for MAC counts: x[1,4,8,8] -> Conv -> ConvTranspose -> Gemm. */
export function buildConvModel(): ModelProto {
  const graph = new Graph(
    newGraph({ name: 'convs', input: [tensorInfo('x', DataType.FLOAT, [1, 4, 8, 8])], output: [tensorInfo('logits', DataType.FLOAT, [1, 5])] }),
  );
  const filled = (n: number) => Float32Array.from({ length: n }, (_, i) => ((i % 7) - 3) / 10);
  // Grouped 3x3 conv, 4 -> 6 channels in 2 groups, stride 2, pad 1: [1,4,8,8] -> [1,6,4,4].
  graph.addInitializer(makeTensor('conv.weight', [6, 2, 3, 3], filled(6 * 2 * 3 * 3)));
  graph.addNode({ opType: 'Conv', inputs: ['x', 'conv.weight'], outputs: ['c'], attrs: { group: 2, strides: [2, 2], pads: [1, 1, 1, 1] } });
  // 2x2 stride-2 transposed conv, 6 -> 3 channels: [1,6,4,4] -> [1,3,8,8].
  graph.addInitializer(makeTensor('up.weight', [6, 3, 2, 2], filled(6 * 3 * 2 * 2)));
  graph.addNode({ opType: 'ConvTranspose', inputs: ['c', 'up.weight'], outputs: ['u'], attrs: { strides: [2, 2] } });
  graph.addNode({ opType: 'Flatten', inputs: ['u'], outputs: ['f'] });
  // Gemm with transB: [1,192] x [5,192]^T.
  graph.addInitializer(makeTensor('fc.weight', [5, 192], filled(5 * 192)));
  graph.addNode({ opType: 'Gemm', inputs: ['f', 'fc.weight'], outputs: ['logits'], attrs: { transB: 1 }, name: 'fc' });
  return newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], producerName: 'retort-tests', graph: graph.proto });
}
