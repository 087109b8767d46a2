/**
 * The training graph (DESIGN.md, "The one idea"): forward + loss + backward + optimizer update in
 * one ONNX graph, so one ORT call is one step. Inputs: the batch, labels, dropout masks, `lr`,
 * `step`, every trainable parameter and every state tensor; outputs: the loss, metrics, the new
 * parameters and the new state, which the trainer feeds back as the next step's inputs.
 */
import { differentiate } from '../autodiff/engine.js';
import { GraphBuilder } from '../autodiff/builder.js';
import { cloneForEditing, defaultOpset } from '../autodiff/gradientModel.js';
import { registerAllGradients } from '../autodiff/registerAll.js';
import { DataType } from '../onnx/dtype.js';
import { Graph } from '../onnx/graph.js';
import { listParameters, type Parameter } from '../onnx/parameters.js';
import { newValueInfo, type ModelProto, type ValueInfoProto } from '../onnx/proto.js';
import { readFloat32 } from '../onnx/tensor.js';
import { inferShapes, resolveInputShapes, sampleFeeds, type ValueShape } from '../runtime/shapeInference.js';
import { RetortError } from '../util/errors.js';
import { composeTrainingBatchNorm, type RunningStatistic } from './batchNorm.js';
import { replaceDropoutWithMasks, type DropoutSite } from './dropout.js';
import { appendLoss, type LossSpec } from './losses.js';
import { appendUpdates, type MaxNormConstraint, type OptimizerSpec } from './optimizers/index.js';

export const LR_INPUT = 'lr';
export const STEP_INPUT = 'step';
export const LOSS_OUTPUT = 'loss';

export interface TrainingGraphOptions {
  /** Training graphs have one fixed batch size (the trainer drops the last partial batch). */
  batchSize: number;
  loss: LossSpec;
  optimizer: OptimizerSpec;
  clipGlobalNorm?: number;
  maxNorm?: readonly MaxNormConstraint[];
  /** Regular expressions (sources) over parameter names; matching parameters are not trained. */
  frozen?: readonly string[];
  /** Full dims of data inputs, where symbolic axes other than the batch axis need values. */
  inputShapes?: Record<string, readonly number[]>;
  /** 'train' (default): batch statistics, running statistics updated; 'frozen': running statistics used as is. */
  batchNorm?: 'train' | 'frozen';
  /** Forward values (e.g. 'logits') also exposed as outputs, by their ONNX value names. */
  extraOutputs?: readonly string[];
  /**
   * Parameters read through a pruning mask (DESIGN.md: a mask is a `Mul` by a mask input): the forward
   * pass reads W ⊙ M and the update writes W' ⊙ M, so pruned weights stay exactly zero whatever the
   * optimizer (momentum, weight decay). Each mask is the graph input `mask:NAME`, dims of the parameter.
   */
  maskedParameters?: readonly string[];
  /** Per-parameter statistics accumulated in the graph from the parameter and its gradient. */
  parameterStatistics?: readonly ParameterStatistic[];
  /**
   * Forward values through which no gradient flows: the bypass of a straight-through estimator
   * (y = x + stop(q(x) - x), Bengio et al. 2013) or a range observer's statistics.
   */
  stopGradients?: readonly string[];
  /**
   * Initializers carried from step to step but not trained, each with its new value computed in the
   * forward graph (e.g. QAT's moving-average range observers), as BatchNorm running statistics are.
   */
  buffers?: readonly RunningStatistic[];
  /** Initializers trained although `listParameters` leaves scalars out (e.g. LSQ step sizes). */
  extraParameters?: readonly string[];
  /** Value bounds applied to parameters after each update (BinaryConnect clips latent weights to [-1, 1]). */
  parameterBounds?: readonly ParameterBound[];
}

/** Parameters matching `parameters` (a regular expression source) are clipped to [min, max] after each update. */
export interface ParameterBound {
  parameters: string;
  min: number;
  max: number;
}

/**
 * A running statistic of a parameter kept as carried state `state:PARAM:NAME` (zeros at the start),
 * updated each step from the parameter before the update and its gradient: e.g. movement pruning's
 * importance S ← S - W ⊙ dL/dW (Sanh et al. 2020).
 */
export interface ParameterStatistic {
  name: string;
  /** The parameters it is kept for (trainable ones). */
  parameters: readonly string[];
  /** The next value as ONNX nodes, from the value names of the previous value, the parameter and its gradient. */
  update(b: GraphBuilder, previous: string, parameter: string, gradient: string): string;
}

/** A pruning-mask input of the training graph. */
export interface MaskSlot {
  parameter: string;
  input: string;
  dims: number[];
}

export interface TensorSlot {
  name: string;
  dims: number[];
  /** ORT element type name. */
  type: 'float32' | 'int64';
}

/** A tensor carried from one step to the next: graph input `input`, its new value at `output`. */
export interface CarriedTensor {
  /** Stable key: the parameter name, or `parameter:stateName` for optimizer state. */
  name: string;
  input: string;
  output: string;
  dims: number[];
  /** Its value before the first step (parameters and running statistics); undefined means zeros. */
  initial?: Float32Array;
  /** A parameter the loss added (LossTerm.parameters): trained, but not part of the exported model. */
  trainingOnly?: boolean;
}

export interface TrainingGraph {
  model: ModelProto;
  batchSize: number;
  /** The model's own data inputs at the training batch size. */
  batchInputs: TensorSlot[];
  /** Labels or targets the loss reads. */
  lossInputs: TensorSlot[];
  dropout: DropoutSite[];
  parameters: CarriedTensor[];
  /** Optimizer state and BatchNorm running statistics. */
  state: CarriedTensor[];
  lossOutput: string;
  /** Metric name to output name, e.g. correct -> 'metric:correct'. */
  metrics: Record<string, string>;
  extraOutputs: string[];
  masks: MaskSlot[];
}

function fixedInfo(name: string, dims: readonly number[], elemType: number): ValueInfoProto {
  return newValueInfo({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
}

function slotOf(info: ValueInfoProto, shapes: ReadonlyMap<string, ValueShape>): TensorSlot {
  const shape = shapes.get(info.name);
  const type = info.type?.tensorType?.elemType === DataType.INT64 ? 'int64' : 'float32';
  return { name: info.name, dims: [...(shape?.dims ?? [])], type };
}

/** The parameters the optimizer updates: float weights, minus frozen ones and running statistics. */
export function trainableParameters(all: readonly Parameter[], frozen: readonly string[] = [], buffers: ReadonlySet<string> = new Set()): Parameter[] {
  const patterns = frozen.map((p) => new RegExp(p));
  return all.filter((p) => !buffers.has(p.name) && !patterns.some((re) => re.test(p.name)));
}

/** Turn a parameter (initializer or Constant node) into a graph input named `input`. */
function parameterToInput(graph: Graph, parameter: Parameter, input: string): ValueInfoProto {
  graph.renameValueUses(parameter.name, input);
  if (parameter.storage === 'constant') graph.removeNode(parameter.node!);
  else {
    graph.removeInitializer(parameter.name);
    graph.proto.input = graph.proto.input.filter((i) => i.name !== parameter.name);
  }
  return fixedInfo(input, parameter.dims, DataType.FLOAT);
}

export async function buildTrainingGraph(inference: ModelProto, options: TrainingGraphOptions): Promise<TrainingGraph> {
  registerAllGradients();
  const { batchSize } = options;
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new RetortError('BAD_ARGUMENT', `Batch size must be a positive integer, got ${batchSize}`);
  const model = cloneForEditing(inference);
  const graph = new Graph(model.graph!);
  const opset = defaultOpset(model);
  const b = new GraphBuilder(graph, opset, 'train/');
  // The model's own weights, listed before the loss and optimizer add constants of their own.
  const modelParameters = withExtraParameters(graph, listParameters(graph), options.extraParameters ?? []);
  const modelOutput = graph.outputs[0]?.name;
  if (!modelOutput) throw new RetortError('GRAPH_INVALID', 'The model has no outputs to train');

  // 1. Fix the batch size on every data input and learn the forward shapes at it.
  const inputDims = resolveInputShapes(model, {}, batchSize);
  const dataInputNames = new Set(graph.dataInputs.map((i) => i.name));
  // New value infos: the clone shares them with the caller's model, which must keep its symbolic batch.
  graph.proto.input = graph.proto.input.map((input) => {
    if (!dataInputNames.has(input.name)) return input;
    const dims = options.inputShapes?.[input.name] ? [...options.inputShapes[input.name]!] : inputDims[input.name]!;
    if (!options.inputShapes?.[input.name] && dims.length > 0) dims[0] = batchSize;
    inputDims[input.name] = dims;
    return fixedInfo(input.name, dims, input.type?.tensorType?.elemType ?? DataType.FLOAT);
  });
  graph.touch();
  const forwardShapes = await inferShapes(model, sampleFeeds(model, inputDims));
  const shapeOf = (value: string): readonly number[] => {
    const shape = forwardShapes.get(value);
    if (!shape) throw new RetortError('SHAPE_UNKNOWN', `No static shape known for value "${value}"`);
    return shape.dims;
  };

  // 2. Training forms of Dropout and BatchNormalization.
  const dropout = replaceDropoutWithMasks(graph, shapeOf);
  const runningStatistics = [...(options.batchNorm === 'frozen' ? [] : composeTrainingBatchNorm(graph, b, shapeOf)), ...checkBuffers(graph, options.buffers ?? [])];

  // 3. Loss and metrics.
  const loss = appendLoss({ b, shape: shapeOf, modelOutput }, options.loss);
  const batchInputInfos = [...graph.dataInputs];
  graph.proto.input.push(...loss.inputs, ...dropout.inputs);
  const masks = attachMasks(graph, modelParameters, options.maskedParameters ?? []);
  graph.touch();
  const shapes = await inferShapes(model, sampleFeeds(model, Object.fromEntries(graph.dataInputs.map((i) => [i.name, i.type!.tensorType!.shape!.dim.map((d) => Number(d.dimValue))]))));

  // 4. Backward.
  const buffers = new Set(runningStatistics.map((s) => s.name));
  const lossParameters: Parameter[] = (loss.parameters ?? []).map((name) => {
    const tensor = graph.initializer(name);
    if (!tensor) throw new RetortError('GRAPH_INVALID', `The loss declares parameter "${name}" but adds no initializer of that name`);
    return { name, dims: tensor.dims.map(Number), storage: 'initializer', tensor };
  });
  const trainingOnly = new Set(lossParameters.map((p) => p.name));
  const parameters = [...trainableParameters(modelParameters, options.frozen, buffers), ...lossParameters];
  if (parameters.length === 0) throw new RetortError('BAD_ARGUMENT', 'No trainable parameters (all frozen?)');
  const gradients = differentiate({
    graph,
    loss: loss.value,
    wrt: parameters.map((p) => p.name),
    shapes,
    opset,
    stopGradients: new Set([...loss.stopGradients, ...(options.stopGradients ?? [])]),
  });

  // 5. Optimizer update.
  const lr = LR_INPUT;
  const step = STEP_INPUT;
  const stateInput = (parameter: string, state: string) => `state:${parameter}:${state}`;
  const maskOf = new Map(masks.map((m) => [m.parameter, m.input]));
  const updates = appendUpdates(
    b,
    parameters.map((p) => ({ name: p.name, value: p.name, gradient: gradients.get(p.name)!, dims: p.dims })),
    stateInput,
    lr,
    step,
    { optimizer: options.optimizer, clipGlobalNorm: options.clipGlobalNorm, maxNorm: options.maxNorm },
  );

  // 6. Inputs and outputs: parameters and running statistics become carried tensors.
  const outputs: ValueInfoProto[] = [];
  const output = (name: string, value: string): string => {
    graph.addNode({ opType: 'Identity', inputs: [value], outputs: [name], name: graph.uniqueName(`${name}/out`) });
    outputs.push(newValueInfo({ name }));
    return name;
  };
  const lossOutput = output(LOSS_OUTPUT, loss.value);
  const metrics: Record<string, string> = {};
  for (const [name, value] of Object.entries(loss.metrics)) metrics[name] = output(`metric:${name}`, value);
  if (updates.gradientNorm) metrics.gradientNorm = output('metric:gradientNorm', updates.gradientNorm);
  const extraOutputs = [...(options.extraOutputs ?? [])];
  for (const name of extraOutputs) outputs.push(newValueInfo({ name }));

  const carriedParameters: CarriedTensor[] = [];
  const state: CarriedTensor[] = [];
  const newInputs: ValueInfoProto[] = [fixedInfo(lr, [], DataType.FLOAT), fixedInfo(step, [], DataType.FLOAT)];
  const bounds = (options.parameterBounds ?? []).map((bound) => {
    if (!(bound.min < bound.max)) throw new RetortError('BAD_ARGUMENT', `Parameter bound /${bound.parameters}/: min ${bound.min} must be below max ${bound.max}`);
    return { ...bound, pattern: new RegExp(bound.parameters) };
  });
  for (const p of parameters) {
    const initial = readFloat32(p.tensor);
    const bound = bounds.find((c) => c.pattern.test(p.name));
    const unbounded = updates.parameters.get(p.name)!;
    const updated = bound ? b.op('Clip', [unbounded, b.constFloat(bound.min), b.constFloat(bound.max)]) : unbounded;
    const next = output(`next:${p.name}`, maskOf.has(p.name) ? b.mul(updated, maskOf.get(p.name)!) : updated);
    const input = `param:${p.name}`;
    newInputs.push(parameterToInput(graph, p, input));
    carriedParameters.push({ name: p.name, input, output: next, dims: p.dims, initial, ...(trainingOnly.has(p.name) ? { trainingOnly: true } : {}) });
    updates.stateNames.forEach((s, i) => {
      const name = `${p.name}:${s}`;
      newInputs.push(fixedInfo(stateInput(p.name, s), p.dims, DataType.FLOAT));
      state.push({ name, input: stateInput(p.name, s), output: output(`next:${name}`, updates.state.get(p.name)![i]!), dims: p.dims });
    });
  }
  for (const statistic of options.parameterStatistics ?? []) {
    for (const name of statistic.parameters) {
      const p = parameters.find((q) => q.name === name);
      if (!p) throw new RetortError('UNKNOWN_KEY', `Parameter statistic "${statistic.name}": no trainable parameter "${name}". Trainable: ${parameters.map((q) => q.name).join(', ')}`);
      const input = stateInput(name, statistic.name);
      // The parameter is the carried input by now (parameterToInput renamed its uses).
      const updated = statistic.update(b, input, `param:${name}`, gradients.get(name)!);
      newInputs.push(fixedInfo(input, p.dims, DataType.FLOAT));
      state.push({ name: `${name}:${statistic.name}`, input, output: output(`next:${name}:${statistic.name}`, updated), dims: p.dims });
    }
  }
  for (const s of runningStatistics) {
    const tensor = graph.initializer(s.name)!;
    const parameter: Parameter = { name: s.name, dims: tensor.dims.map(Number), storage: 'initializer', tensor };
    const next = output(`next:${s.name}`, s.updated);
    newInputs.push(parameterToInput(graph, parameter, `buffer:${s.name}`));
    state.push({ name: s.name, input: `buffer:${s.name}`, output: next, dims: parameter.dims, initial: readFloat32(tensor) });
  }
  graph.proto.input.push(...newInputs);
  graph.proto.output = outputs;
  graph.touch();
  graph.sortNodes();

  return {
    model,
    batchSize,
    batchInputs: batchInputInfos.map((i) => slotOf(i, shapes)),
    lossInputs: loss.inputs.map((i) => slotOf(i, shapes)),
    dropout: dropout.sites,
    parameters: carriedParameters,
    state,
    lossOutput,
    metrics,
    extraOutputs,
    masks,
  };
}

/** The model's parameters plus the named initializers `listParameters` leaves out (scalars). */
function withExtraParameters(graph: Graph, listed: Parameter[], names: readonly string[]): Parameter[] {
  const extra = names.filter((name) => !listed.some((p) => p.name === name)).map((name): Parameter => {
    const tensor = graph.initializer(name);
    if (!tensor || tensor.dataType !== DataType.FLOAT) throw new RetortError('UNKNOWN_KEY', `Extra parameter "${name}" is not a float initializer of the model`);
    return { name, dims: tensor.dims.map(Number), storage: 'initializer', tensor };
  });
  return [...listed, ...extra];
}

function checkBuffers(graph: Graph, buffers: readonly RunningStatistic[]): RunningStatistic[] {
  for (const buffer of buffers) {
    if (!graph.initializer(buffer.name)) throw new RetortError('UNKNOWN_KEY', `Buffer "${buffer.name}" is not an initializer of the model`);
    if (!graph.producerOf(buffer.updated)) throw new RetortError('GRAPH_INVALID', `Buffer "${buffer.name}": no node computes its new value "${buffer.updated}"`);
  }
  return [...buffers];
}

/** Every use of each masked parameter W now reads Mul(W, mask:W); the mask inputs are added to the graph. */
function attachMasks(graph: Graph, modelParameters: readonly Parameter[], names: readonly string[]): MaskSlot[] {
  return names.map((name) => {
    const parameter = modelParameters.find((p) => p.name === name);
    if (!parameter) throw new RetortError('UNKNOWN_KEY', `Cannot mask "${name}": the model has no such parameter. Parameters: ${modelParameters.map((p) => p.name).join(', ')}`);
    const input = `mask:${name}`;
    const masked = graph.uniqueName(`${name}/masked`);
    graph.renameValueUses(name, masked);
    graph.addNode({ opType: 'Mul', inputs: [name, input], outputs: [masked], name: graph.uniqueName(`${name}/mask`) });
    graph.proto.input.push(fixedInfo(input, parameter.dims, DataType.FLOAT));
    return { parameter: name, input, dims: [...parameter.dims] };
  });
}
