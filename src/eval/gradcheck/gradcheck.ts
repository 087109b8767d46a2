/**
 * `retort gradcheck`: retort's loss and gradients for a model against a reference computed by
 * another framework (a reference folder), or against central finite differences on a random input.
 */
import { encodeModel } from '../../onnx/model.js';
import { Graph } from '../../onnx/graph.js';
import { listParameters } from '../../onnx/parameters.js';
import type { ModelProto } from '../../onnx/proto.js';
import { Session, type Feeds } from '../../runtime/session.js';
import { resolveInputShapes, sampleFeeds } from '../../runtime/shapeInference.js';
import { floatTensor, int64Tensor, readFloats, readScalar } from '../../runtime/tensors.js';
import { readFloat32 } from '../../onnx/tensor.js';
import { newValueInfo } from '../../onnx/proto.js';
import { RetortError } from '../../util/errors.js';
import { Rng } from '../../util/random.js';
import { relativeError } from './compare.js';
import { buildCrossEntropyGradientModel } from './lossModel.js';
import type { Reference } from './reference.js';

export interface TensorCheck {
  /** The value differentiated with respect to (parameter name, or the input), or 'loss' / 'logits'. */
  name: string;
  relativeError: number;
  /** Elements compared (finite differences sample a few per tensor). */
  elements: number;
  pass: boolean;
}

export interface GradcheckResult {
  mode: 'reference' | 'finite-differences';
  tolerance: number;
  checks: TensorCheck[];
  pass: boolean;
}

function finish(mode: GradcheckResult['mode'], tolerance: number, checks: TensorCheck[]): GradcheckResult {
  return { mode, tolerance, checks, pass: checks.every((c) => c.pass) };
}

/** Compare against a reference folder's loss, logits, input gradient and parameter gradients. */
export async function checkAgainstReference(model: ModelProto, reference: Reference, tolerance: number): Promise<GradcheckResult> {
  const graph = new Graph(model.graph!);
  const inputs = graph.dataInputs;
  if (inputs.length !== 1) {
    throw new RetortError('BAD_ARGUMENT', `gradcheck --ref supports models with one input; this one has ${inputs.map((i) => i.name).join(', ')}`);
  }
  const inputName = inputs[0]!.name;
  const params = new Set(listParameters(graph).map((p) => p.name));
  const missing = [...reference.grads.keys()].filter((n) => !params.has(n));
  if (missing.length > 0) {
    throw new RetortError('UNKNOWN_KEY', `The reference has gradients for ${missing.join(', ')}, which are not parameters of the model`);
  }
  const input = reference.input.data instanceof BigInt64Array
    ? int64Tensor(reference.input.data, reference.input.dims)
    : floatTensor(reference.input.data, reference.input.dims);
  const feeds: Feeds = { [inputName]: input };
  const wrt = [...reference.grads.keys(), ...(reference.dInput ? [inputName] : [])];
  const built = await buildCrossEntropyGradientModel(model, feeds, reference.labels, wrt);
  const session = await Session.create(encodeModel(built.model), { name: 'gradcheck model' });
  const results = await session.run({ ...feeds, [built.labelsInput]: int64Tensor(reference.labels.data, reference.labels.dims) });
  await session.dispose();

  const checks: TensorCheck[] = [];
  const add = (name: string, actual: ArrayLike<number>, expected: ArrayLike<number>) => {
    const error = relativeError(actual, expected);
    checks.push({ name, relativeError: error, elements: expected.length, pass: error <= tolerance });
  };
  if (reference.loss !== undefined) add('loss', [readScalar(results[built.model.graph!.output[0]!.name]!)], [reference.loss]);
  if (reference.logits) add('logits', readFloats(results[built.logits]!), reference.logits.data);
  for (const [name, expected] of reference.grads) add(name, readFloats(results[built.gradientOutputs.get(name)!]!), expected.data);
  if (reference.dInput) add(`d(${inputName})`, readFloats(results[built.gradientOutputs.get(inputName)!]!), reference.dInput.data);
  return finish('reference', tolerance, checks);
}

export interface FiniteDifferenceOptions {
  tolerance: number;
  seed: number;
  /** Elements sampled per tensor. */
  samples: number;
  /** Batch size for symbolic batch dims. */
  batch: number;
  /** Finite-difference step; default 3e-3. */
  step?: number;
}

/**
 * Central differences of the float32 loss at a few sampled elements of each parameter (and of a
 * float input). float32 limits the precision of the differences, so tolerances here are coarser
 * than against a float64 reference; the step trades truncation against rounding error.
 */
export async function checkAgainstFiniteDifferences(model: ModelProto, options: FiniteDifferenceOptions): Promise<GradcheckResult> {
  const graph = new Graph(model.graph!);
  const shapes = resolveInputShapes(model, {}, options.batch);
  const feeds = sampleFeeds(model, shapes, options.seed);
  const rng = new Rng(options.seed + 1);
  const params = listParameters(graph);
  // Logits shape, to draw labels: one forward run.
  const plain = await Session.create(encodeModel(model), { name: 'model' });
  const logits = (await plain.run(feeds))[graph.outputs[0]!.name]!;
  await plain.dispose();
  const classes = logits.dims[logits.dims.length - 1]!;
  const labelDims = [...logits.dims.slice(0, -1)];
  const labels = BigInt64Array.from({ length: labelDims.reduce((a, b) => a * b, 1) }, () => BigInt(rng.int(classes)));
  const floatInputs = graph.dataInputs.filter((i) => feeds[i.name]!.type === 'float32').map((i) => i.name);
  const wrt = [...params.map((p) => p.name), ...floatInputs];
  const built = await buildCrossEntropyGradientModel(model, feeds, { data: labels, dims: labelDims }, wrt);
  // Parameters become inputs so they can be perturbed without rebuilding the model.
  const probe = built.model;
  const probeGraph = new Graph(probe.graph!);
  const values = new Map<string, Float32Array>();
  for (const p of params) {
    values.set(p.name, readFloat32(p.tensor));
    if (p.storage === 'initializer') probeGraph.removeInitializer(p.name);
    else probeGraph.removeNode(probeGraph.producerOf(p.name)!);
    probe.graph!.input.push(newValueInfo({ name: p.name, type: { tensorType: { elemType: 1, shape: { dim: p.dims.map((d) => ({ dimValue: d })) } } } }));
  }
  for (const name of floatInputs) values.set(name, Float32Array.from(feeds[name]!.data as Float32Array));
  const dims = new Map<string, number[]>([...params.map((p) => [p.name, p.dims] as [string, number[]]), ...floatInputs.map((n) => [n, [...feeds[n]!.dims]] as [string, number[]])]);
  const session = await Session.create(encodeModel(probe), { name: 'gradcheck model', optimization: 'basic' });
  const lossName = probe.graph!.output[0]!.name;
  const run = async () => {
    const f: Feeds = { ...feeds, [built.labelsInput]: int64Tensor(labels, labelDims) };
    for (const [name, v] of values) f[name] = floatTensor(v, dims.get(name)!);
    return session.run(f);
  };
  const base = await run();
  const step = options.step ?? 3e-3;
  // float32 rounding of the loss limits what a difference quotient can resolve: a few ulps of |L|
  // over the step. Differences below that are noise, not disagreement.
  const noiseFloor = (4 * 2 ** -23 * Math.max(1, Math.abs(readScalar(base[lossName]!)))) / step;
  const checks: TensorCheck[] = [];
  for (const name of wrt) {
    const analytic = readFloats(base[built.gradientOutputs.get(name)!]!);
    const v = values.get(name)!;
    const picks = Array.from({ length: Math.min(options.samples, v.length) }, () => rng.int(v.length));
    const numeric: number[] = [];
    const sampled: number[] = [];
    for (const k of picks) {
      const original = v[k]!;
      v[k] = original + step;
      const plus = readScalar((await run())[lossName]!);
      v[k] = original - step;
      const minus = readScalar((await run())[lossName]!);
      v[k] = original;
      numeric.push((plus - minus) / (2 * step));
      sampled.push(analytic[k]!);
    }
    // Scale by the whole analytic tensor too, so a sample of near-zero elements is not judged alone.
    const scale = Math.max(...numeric.map(Math.abs), ...Array.from(analytic, Math.abs));
    const maxDiff = Math.max(0, ...numeric.map((n, i) => Math.abs(n - sampled[i]!)));
    const error = scale === 0 ? maxDiff : maxDiff / scale;
    const pass = maxDiff <= options.tolerance * scale + noiseFloor;
    checks.push({ name: floatInputs.includes(name) ? `d(${name})` : name, relativeError: error, elements: picks.length, pass });
  }
  await session.dispose();
  return finish('finite-differences', options.tolerance, checks);
}
