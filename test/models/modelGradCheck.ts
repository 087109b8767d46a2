/**
 * Whole-model gradient check, after test/helpers/opGradCheck.ts (one op against float64 central
 * differences) scaled up to a built model: loss = sum(logits * R) with fixed random R; analytic
 * gradients from retort's engine run in ORT (float32); numeric gradients by central differences of
 * the same graph converted to float64, at a few sampled elements of each chosen parameter.
 *
 * ORT has no float64 Erf kernel, and running Erf in float32 inside the float64 graph makes the loss
 * jitter by float32 roundings, which a difference quotient divides by the step. So the float64 graph
 * computes erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7, smooth): its derivative differs from
 * erf's by about 1e-6, far below the tolerance, and nothing in the numeric path rounds to float32.
 */
import { buildGradientModel, cloneForEditing } from '../../src/autodiff/gradientModel.js';
import { DataType } from '../../src/onnx/dtype.js';
import { Graph } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/model.js';
import { newAttribute, newNode, newValueInfo, type ModelProto, type NodeProto, type ValueInfoProto } from '../../src/onnx/proto.js';
import { makeTensor, readFloat32, tensorDims } from '../../src/onnx/tensor.js';
import { ort } from '../../src/runtime/ort.js';
import { Session, type Feeds } from '../../src/runtime/session.js';
import { readFloats, readScalar } from '../../src/runtime/tensors.js';
import { Rng } from '../../src/util/random.js';

/**
 * erf(x) ≈ sign(x) (1 - (a1 t + a2 t² + a3 t³ + a4 t⁴ + a5 t⁵) exp(-x²)), t = 1 / (1 + p|x|)
 * (Abramowitz & Stegun 1964, 7.1.26), as float64 nodes writing `output`.
 */
function erfNodes(graph: Graph, input: string, output: string, prefix: string): NodeProto[] {
  const [p, a1, a2, a3, a4, a5] = [0.3275911, 0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429];
  const nodes: NodeProto[] = [];
  let count = 0;
  // `prefix` is the Erf node's name, unique in the graph; the new names extend it.
  const fresh = (what: string): string => `${prefix}.erf64.${what}${count++}`;
  const constant = (value: number): string => {
    const name = fresh('c');
    graph.addInitializer(makeTensor(name, [], Float64Array.of(value)));
    return name;
  };
  const op = (opType: string, inputs: string[], out = fresh(opType)): string => {
    nodes.push(newNode({ opType, name: fresh(`${opType}_node`), input: inputs, output: [out] }));
    return out;
  };
  const magnitude = op('Abs', [input]);
  const t = op('Div', [constant(1), op('Add', [constant(1), op('Mul', [constant(p), magnitude])])]);
  // Horner: t (a1 + t (a2 + t (a3 + t (a4 + t a5)))).
  let poly = constant(a5);
  for (const a of [a4, a3, a2, a1]) poly = op('Add', [constant(a), op('Mul', [t, poly])]);
  poly = op('Mul', [t, poly]);
  const gaussian = op('Exp', [op('Neg', [op('Mul', [input, input])])]);
  const positive = op('Sub', [constant(1), op('Mul', [poly, gaussian])]);
  op('Mul', [op('Sign', [input]), positive], output);
  return nodes;
}

function retypeToDouble(info: ValueInfoProto): ValueInfoProto {
  const tensorType = info.type?.tensorType;
  if (!tensorType || tensorType.elemType !== DataType.FLOAT) return info;
  return newValueInfo({ ...info, type: { ...info.type, tensorType: { ...tensorType, elemType: DataType.DOUBLE } } });
}

/** The model in float64: float initializers, inputs, outputs and Casts to float become double. */
export function toFloat64(model: ModelProto): ModelProto {
  const copy = cloneForEditing(model);
  const g = copy.graph!;
  g.initializer = g.initializer.map((t) => (t.dataType === DataType.FLOAT ? makeTensor(t.name, tensorDims(t), Float64Array.from(readFloat32(t))) : t));
  g.input = g.input.map(retypeToDouble);
  g.output = g.output.map(retypeToDouble);
  g.valueInfo = g.valueInfo.map(retypeToDouble);
  const graph = new Graph(g);
  const nodes = [];
  for (const node of g.node) {
    if (node.opType === 'Cast') {
      node.attribute = node.attribute.map((a) => (a.name === 'to' && Number(a.i) === DataType.FLOAT ? newAttribute({ ...a, i: DataType.DOUBLE }) : a));
    }
    if (node.opType === 'Erf') nodes.push(...erfNodes(graph, node.input[0]!, node.output[0]!, node.name));
    else nodes.push(node);
  }
  g.node = nodes;
  return copy;
}

export interface ModelGradCheckOptions {
  /** The model's own inputs (int64 token ids). */
  feeds: Feeds;
  /** Parameters (initializer names) to check. */
  parameters: readonly string[];
  /** Elements sampled per parameter. */
  samples: number;
  seed: number;
  /** Central-difference step in float64. */
  step?: number;
  /** |analytic - numeric| <= atol + rtol * max |numeric| over the parameter's samples. */
  rtol?: number;
  atol?: number;
}

export interface ParameterCheck {
  name: string;
  maxError: number;
  scale: number;
  analytic: number[];
  numeric: number[];
}

/** Analytic float32 gradients against float64 central differences; throws with details on disagreement. */
export async function checkModelGradients(model: ModelProto, options: ModelGradCheckOptions): Promise<ParameterCheck[]> {
  const { feeds, parameters, samples, seed, step = 1e-4, rtol = 1e-4, atol = 1e-8 } = options;
  const rng = new Rng(seed);
  const logitsName = model.graph!.output[0]!.name;

  const probe = await Session.create(encodeModel(model), { name: 'forward probe' });
  const logitDims = [...(await probe.run(feeds))[logitsName]!.dims];
  await probe.dispose();
  const weights = Float32Array.from({ length: logitDims.reduce((a, b) => a * b, 1) }, () => rng.next() * 2 - 1);

  const lossModel = cloneForEditing(model);
  const graph = new Graph(lossModel.graph!);
  graph.addInitializer(makeTensor('gradcheck.R', logitDims, weights));
  graph.addNode({ opType: 'Mul', inputs: [logitsName, 'gradcheck.R'], outputs: ['gradcheck.weighted'] });
  graph.addNode({ opType: 'ReduceSum', inputs: ['gradcheck.weighted'], outputs: ['loss'], attrs: { keepdims: 0 } });
  lossModel.graph!.output = [newValueInfo({ name: 'loss' })];

  const built = await buildGradientModel(lossModel, 'loss', parameters, feeds);
  const session = await Session.create(encodeModel(built.model), { name: 'analytic gradients' });
  const analytic = await session.run(feeds);
  await session.dispose();

  // float64 forward with the checked parameters as inputs, to perturb them without rebuilding.
  const wide = toFloat64(lossModel);
  const wideGraph = new Graph(wide.graph!);
  const values = new Map<string, Float64Array>();
  const dims = new Map<string, number[]>();
  for (const name of parameters) {
    const tensor = wideGraph.initializer(name)!;
    values.set(name, Float64Array.from(readFloat32(model.graph!.initializer.find((t) => t.name === name)!)));
    dims.set(name, tensorDims(tensor));
    wideGraph.removeInitializer(name);
    wide.graph!.input.push(newValueInfo({ name, type: { tensorType: { elemType: DataType.DOUBLE, shape: { dim: tensorDims(tensor).map((d) => ({ dimValue: d })) } } } }));
  }
  const numericSession = await Session.create(encodeModel(wide), { name: 'float64 forward' });
  const lossAt = async (): Promise<number> => {
    const f: Feeds = { ...feeds };
    for (const [name, v] of values) f[name] = new ort.Tensor('float64', v, dims.get(name)!);
    return readScalar((await numericSession.run(f)).loss!);
  };

  const checks: ParameterCheck[] = [];
  const failures: string[] = [];
  for (const name of parameters) {
    const gradient = readFloats(analytic[built.gradientOutputs.get(name)!]!);
    const v = values.get(name)!;
    const picks = Array.from({ length: Math.min(samples, v.length) }, () => rng.int(v.length));
    const check: ParameterCheck = { name, maxError: 0, scale: 0, analytic: [], numeric: [] };
    for (const k of picks) {
      const original = v[k]!;
      v[k] = original + step;
      const plus = await lossAt();
      v[k] = original - step;
      const minus = await lossAt();
      v[k] = original;
      check.numeric.push((plus - minus) / (2 * step));
      check.analytic.push(gradient[k]!);
    }
    check.scale = Math.max(...check.numeric.map(Math.abs));
    check.maxError = Math.max(...check.numeric.map((n, i) => Math.abs(n - check.analytic[i]!)));
    if (check.maxError > atol + rtol * check.scale) {
      failures.push(`${name}: max |analytic - numeric| ${check.maxError.toExponential(3)} over scale ${check.scale.toExponential(3)}; analytic ${check.analytic.map((x) => x.toPrecision(6)).join(' ')}, numeric ${check.numeric.map((x) => x.toPrecision(6)).join(' ')}`);
    }
    checks.push(check);
  }
  await numericSession.dispose();
  if (failures.length > 0) {
    throw new Error(`Gradients disagree with float64 central differences (step ${step}, tolerance ${atol} + ${rtol}·scale, seed ${seed}):\n  ${failures.join('\n  ')}`);
  }
  return checks;
}
