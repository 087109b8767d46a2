/**
 * Finite-difference check of one op's gradient rule, after ONNX Runtime's gradient checker: the op
 * alone in a graph, loss = sum(Y * R) with fixed random R, analytic gradients from retort's engine
 * run in ORT (float32) against central differences of the same graph in float64 where ORT has
 * float64 kernels (float32 with a larger step and tolerance otherwise).
 */
import { buildGradientModel } from '../../src/autodiff/gradientModel.js';
import type { Attrs } from '../../src/onnx/attributes.js';
import { Graph } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/model.js';
import { newGraph, newModel, newValueInfo, type ModelProto } from '../../src/onnx/proto.js';
import { makeTensor } from '../../src/onnx/tensor.js';
import { Session, type Feeds } from '../../src/runtime/session.js';
import { ort } from '../../src/runtime/ort.js';
import { Rng } from '../../src/util/random.js';

export interface OpInput {
  dims: number[];
  /** 'float' inputs are differentiated; others are constants (indices, shapes, axes). */
  type?: 'float' | 'int64' | 'bool';
  /** Fixed values (constants, or floats to pin). */
  values?: readonly number[];
  /** Domain transform for random floats, e.g. (x) => Math.abs(x) + 0.1 for Log. */
  transform?: (x: number) => number;
  /** Keep this float input fixed (no gradient checked). */
  constant?: boolean;
}

export interface OpGradCheck {
  opType: string;
  inputs: OpInput[];
  attrs?: Attrs;
  domain?: string;
  opset?: number;
  /** Number of outputs to put in the loss (default 1). */
  outputs?: number;
  seed?: number;
  /** |analytic - numeric| <= atol + rtol * |numeric|. */
  rtol?: number;
  atol?: number;
}

export interface GradCheckReport {
  maxError: number;
  worst: string;
  precision: 'float64' | 'float32';
}

const TYPE_CODE = { float: 1, double: 11, int64: 7, bool: 9 } as const;

function buildOpModel(spec: OpGradCheck, values: (number[] | undefined)[], floatType: 'float' | 'double', weights: number[][], outDims: number[][]): ModelProto {
  const opset = spec.opset ?? 17;
  const model = newModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }, ...(spec.domain ? [{ domain: spec.domain, version: 1 }] : [])],
    producerName: 'retort-test',
    graph: newGraph({ name: `${spec.opType}_check` }),
  });
  const graph = new Graph(model.graph!);
  const inputNames = spec.inputs.map((input, i) => {
    const name = `x${i}`;
    const type = input.type ?? 'float';
    if (type === 'float' && !input.constant) {
      model.graph!.input.push(
        newValueInfo({ name, type: { tensorType: { elemType: TYPE_CODE[floatType], shape: { dim: input.dims.map((d) => ({ dimValue: d })) } } } }),
      );
    } else {
      const v = values[i]!;
      const data = type === 'int64' ? BigInt64Array.from(v, (x) => BigInt(x)) : type === 'bool' ? Uint8Array.from(v) : floatType === 'double' ? Float64Array.from(v) : Float32Array.from(v);
      graph.addInitializer(makeTensor(name, input.dims, data, type === 'bool' ? TYPE_CODE.bool : undefined));
    }
    return name;
  });
  const outputs = Array.from({ length: spec.outputs ?? 1 }, (_, k) => `y${k}`);
  graph.addNode({ opType: spec.opType, inputs: inputNames, outputs, attrs: spec.attrs, domain: spec.domain, name: 'op' });
  const terms = outputs.map((y, k) => {
    const w = `r${k}`;
    const data = floatType === 'double' ? Float64Array.from(weights[k]!) : Float32Array.from(weights[k]!);
    graph.addInitializer(makeTensor(w, outDims[k]!, data));
    graph.addNode({ opType: 'Mul', inputs: [y, w], outputs: [`m${k}`] });
    graph.addNode({ opType: 'ReduceSum', inputs: [`m${k}`], outputs: [`s${k}`], attrs: { keepdims: 0 } });
    return `s${k}`;
  });
  graph.addNode({ opType: 'Sum', inputs: terms, outputs: ['loss'] });
  model.graph!.output.push(newValueInfo({ name: 'loss' }));
  return model;
}

function feedsOf(spec: OpGradCheck, values: (number[] | undefined)[], floatType: 'float' | 'double'): Feeds {
  const feeds: Feeds = {};
  spec.inputs.forEach((input, i) => {
    if ((input.type ?? 'float') !== 'float' || input.constant) return;
    const data = floatType === 'double' ? Float64Array.from(values[i]!) : Float32Array.from(values[i]!);
    feeds[`x${i}`] = new ort.Tensor(floatType === 'double' ? 'float64' : 'float32', data, input.dims);
  });
  return feeds;
}

/** Output dims, by running the op once in float32. */
async function outputDims(spec: OpGradCheck, values: (number[] | undefined)[]): Promise<number[][]> {
  const count = spec.outputs ?? 1;
  const ones = Array.from({ length: count }, () => [1]);
  const probe = buildOpModel(spec, values, 'float', ones, Array.from({ length: count }, () => []));
  probe.graph!.output = Array.from({ length: count }, (_, k) => newValueInfo({ name: `y${k}` }));
  const session = await Session.create(encodeModel(probe), { name: `${spec.opType} probe` });
  const result = await session.run(feedsOf(spec, values, 'float'));
  await session.dispose();
  return Array.from({ length: count }, (_, k) => [...result[`y${k}`]!.dims]);
}

/** Throws with max error, tolerance and seed when analytic and numeric gradients disagree. */
export async function checkOpGradient(spec: OpGradCheck): Promise<GradCheckReport> {
  const seed = spec.seed ?? 7;
  const rng = new Rng(seed);
  const values = spec.inputs.map((input) => {
    if (input.values) return [...input.values];
    if ((input.type ?? 'float') !== 'float') throw new Error('non-float inputs need values');
    const n = input.dims.reduce((a, b) => a * b, 1);
    return Array.from({ length: n }, () => (input.transform ?? ((x: number) => x))(rng.next() * 2 - 1));
  });
  const outDims = await outputDims(spec, values);
  const weights = outDims.map((d) => Array.from({ length: d.reduce((a, b) => a * b, 1) }, () => rng.next() * 2 - 1));

  // Analytic, float32, through retort's engine.
  const forward = buildOpModel(spec, values, 'float', weights, outDims);
  const wrt = spec.inputs.flatMap((input, i) => ((input.type ?? 'float') === 'float' && !input.constant ? [`x${i}`] : []));
  const feeds32 = feedsOf(spec, values, 'float');
  const { model, gradientOutputs } = await buildGradientModel(forward, 'loss', wrt, feeds32);
  const session = await Session.create(encodeModel(model), { name: `${spec.opType} gradient` });
  const analytic = await session.run(feeds32);
  await session.dispose();

  // Numeric, central differences, float64 where the op has a float64 kernel.
  let precision: 'float64' | 'float32' = 'float64';
  let numericSession: Session;
  try {
    numericSession = await Session.create(encodeModel(buildOpModel(spec, values, 'double', weights, outDims)), { name: 'float64 forward' });
  } catch {
    precision = 'float32';
    numericSession = await Session.create(encodeModel(forward), { name: 'float32 forward' });
  }
  const floatType = precision === 'float64' ? 'double' : 'float';
  const step = precision === 'float64' ? 1e-6 : 1e-2;
  const rtol = spec.rtol ?? (precision === 'float64' ? 1e-3 : 2e-2);
  const atol = spec.atol ?? (precision === 'float64' ? 1e-4 : 2e-3);
  const evaluate = async (vals: (number[] | undefined)[]) => Number((await numericSession.run(feedsOf(spec, vals, floatType))).loss!.data[0]);

  let maxError = 0;
  let worst = '';
  const failures: string[] = [];
  for (const name of wrt) {
    const i = Number(name.slice(1));
    const got = analytic[gradientOutputs.get(name)!]!.data as Float32Array;
    for (let k = 0; k < values[i]!.length; k++) {
      const plus = values.map((v) => v && [...v]);
      const minus = values.map((v) => v && [...v]);
      plus[i]![k]! += step;
      minus[i]![k]! -= step;
      const numeric = ((await evaluate(plus)) - (await evaluate(minus))) / (2 * step);
      const error = Math.abs(got[k]! - numeric);
      const bound = atol + rtol * Math.abs(numeric);
      if (error - bound > maxError) {
        maxError = error - bound;
        worst = `${name}[${k}]`;
      }
      if (error > bound && failures.length < 5) failures.push(`${name}[${k}]: analytic ${got[k]} vs numeric ${numeric} (error ${error.toExponential(3)})`);
    }
  }
  await numericSession.dispose();
  if (failures.length > 0) {
    throw new Error(
      `Gradient of ${spec.opType} disagrees with ${precision} central differences (step ${step}); tolerance ${atol} + ${rtol}*|numeric|, seed ${seed}, shapes ${JSON.stringify(spec.inputs.map((x) => x.dims))}:\n  ${failures.join('\n  ')}`,
    );
  }
  return { maxError, worst, precision };
}
