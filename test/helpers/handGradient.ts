/**
 * Exact gradients of one op for hand-computed checks where central differences cannot judge: at
 * kinks and ties (one-sided by convention), and for random ops (training Dropout). The loss is
 * sum(Y0); the op's outputs come back too, so a check can read a random mask.
 */
import { buildGradientModel } from '../../src/autodiff/gradientModel.js';
import type { Attrs } from '../../src/onnx/attributes.js';
import { Graph } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/model.js';
import { newGraph, newModel, newValueInfo } from '../../src/onnx/proto.js';
import { makeTensor } from '../../src/onnx/tensor.js';
import { ort } from '../../src/runtime/ort.js';
import { Session, type Feeds } from '../../src/runtime/session.js';

export interface HandInput {
  dims: number[];
  values: readonly number[];
  /** 'float' inputs are fed and differentiated unless `constant`; 'bool' inputs are fed when `fed`. */
  type?: 'float' | 'int64' | 'bool';
  constant?: boolean;
  fed?: boolean;
}

export interface HandGradientSpec {
  opType: string;
  inputs: HandInput[];
  attrs?: Attrs;
  domain?: string;
  opset?: number;
  /** Number of op outputs (default 1); all come back in `outputs`. */
  outputs?: number;
}

export interface HandGradientResult {
  /** Gradient of sum(Y0) per input; empty for inputs not differentiated. */
  gradients: Float32Array[];
  /** The op's outputs, as numbers. */
  outputs: number[][];
}

const TYPE_CODE = { float: 1, int64: 7, bool: 9 } as const;

export async function handGradient(spec: HandGradientSpec): Promise<HandGradientResult> {
  const model = newModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: spec.opset ?? 17 }, ...(spec.domain ? [{ domain: spec.domain, version: 1 }] : [])],
    producerName: 'retort-test',
    graph: newGraph({ name: `${spec.opType}_hand` }),
  });
  const graph = new Graph(model.graph!);
  const feeds: Feeds = {};
  const wrt: string[] = [];
  const names = spec.inputs.map((input, i) => {
    const name = `x${i}`;
    const type = input.type ?? 'float';
    const fed = type === 'float' ? !input.constant : !!input.fed;
    if (!fed) {
      const data = type === 'int64' ? BigInt64Array.from(input.values, (v) => BigInt(v)) : type === 'bool' ? Uint8Array.from(input.values) : Float32Array.from(input.values);
      graph.addInitializer(makeTensor(name, input.dims, data, type === 'bool' ? TYPE_CODE.bool : undefined));
      return name;
    }
    model.graph!.input.push(newValueInfo({ name, type: { tensorType: { elemType: TYPE_CODE[type], shape: { dim: input.dims.map((d) => ({ dimValue: d })) } } } }));
    feeds[name] = type === 'bool'
      ? new ort.Tensor('bool', Uint8Array.from(input.values), input.dims)
      : new ort.Tensor('float32', Float32Array.from(input.values), input.dims);
    if (type === 'float') wrt.push(name);
    return name;
  });
  const outputs = Array.from({ length: spec.outputs ?? 1 }, (_, k) => `y${k}`);
  graph.addNode({ opType: spec.opType, inputs: names, outputs, attrs: spec.attrs, domain: spec.domain, name: 'op' });
  graph.addNode({ opType: 'ReduceSum', inputs: ['y0'], outputs: ['loss'], attrs: { keepdims: 0 } });
  model.graph!.output.push(newValueInfo({ name: 'loss' }));

  const { model: gradientModel, gradientOutputs } = await buildGradientModel(model, 'loss', wrt, feeds);
  // The op's outputs are read in the same run as the gradients (a random op draws once per run).
  gradientModel.graph!.output.push(...outputs.map((name) => newValueInfo({ name })));
  const session = await Session.create(encodeModel(gradientModel), { name: `${spec.opType} hand gradient` });
  const results = await session.run(feeds);
  await session.dispose();
  return {
    gradients: names.map((name) => (gradientOutputs.has(name) ? (results[gradientOutputs.get(name)!]!.data as Float32Array) : new Float32Array())),
    outputs: outputs.map((name) => Array.from(results[name]!.data as ArrayLike<number | boolean>, Number)),
  };
}
