/**
 * Loss subgraphs appended to a forward graph. Each builder reads model values (logits, predictions)
 * and new graph inputs (labels, targets) and returns the name of a scalar loss value, plus the
 * values no gradient may flow through. Shapes are static: training graphs are built for one batch
 * size, so counts and class depths are constants.
 */
import type { GraphBuilder } from '../autodiff/builder.js';
import { DataType } from '../onnx/dtype.js';
import { newValueInfo, type ValueInfoProto } from '../onnx/proto.js';
import { RetortError } from '../util/errors.js';

/** What a loss builder may ask about the graph it extends. */
export interface LossContext {
  readonly b: GraphBuilder;
  /** Static dims of a forward value at the training batch size. */
  shape(value: string): readonly number[];
  /** The model's first output, the default loss input (logits or predictions). */
  readonly modelOutput: string;
}

export interface LossTerm {
  /** Scalar float value to minimize. */
  value: string;
  /** Graph inputs the term reads (labels, targets, teacher signals), fed per batch. */
  inputs: ValueInfoProto[];
  /** Values through which no gradient flows (the max subtracted for stability, teacher logits). */
  stopGradients: string[];
  /** Non-differentiable scalar outputs per batch (e.g. `correct`), by metric name. */
  metrics: Record<string, string>;
  /**
   * Initializers the loss adds that are trained with the model but belong to the training graph
   * only (a FitNets regressor): carried and checkpointed like parameters, dropped at export.
   */
  parameters?: string[];
}

/** Where the labels of a classification loss come from. */
export type LabelKind =
  /** Class indices, int64 [N] or [N, T] for sequence models. */
  | 'index'
  /** One-hot or soft target distributions, float, the logits' shape. */
  | 'probabilities';

export type LossSpec =
  | { kind: 'softmaxCrossEntropy'; labels: LabelKind; logits?: string; labelInput?: string }
  | { kind: 'meanSquaredError'; prediction?: string; targetInput?: string }
  /** Any subgraph producing a scalar: the hook for distillation terms and custom objectives. */
  | {
      kind: 'subgraph';
      build: (ctx: LossContext) => LossTerm;
      /** What the subgraph computes, as JSON (e.g. a distillation objective's terms); part of the checkpoint's config hash when given. */
      key?: string;
    };

export const LABELS_INPUT = 'labels';
export const TARGETS_INPUT = 'targets';

export function appendLoss(ctx: LossContext, spec: LossSpec): LossTerm {
  switch (spec.kind) {
    case 'softmaxCrossEntropy':
      return softmaxCrossEntropy(ctx, spec.logits ?? ctx.modelOutput, spec.labels, spec.labelInput ?? LABELS_INPUT);
    case 'meanSquaredError':
      return meanSquaredError(ctx, spec.prediction ?? ctx.modelOutput, spec.targetInput ?? TARGETS_INPUT);
    case 'subgraph':
      return spec.build(ctx);
  }
}

function tensorInfo(name: string, elemType: number, dims: readonly number[]): ValueInfoProto {
  return newValueInfo({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
}

/** log softmax over the last axis (the LogSoftmax gradient rule is dX = dY - softmax * sum(dY)). */
export function logSoftmax(b: GraphBuilder, logits: string): string {
  return b.op('LogSoftmax', [logits], { axis: -1 });
}

/**
 * Mean softmax cross-entropy over every position (all axes but the last), as PyTorch's
 * `F.cross_entropy` with reduction 'mean': -sum(target * log_softmax(logits)) / positions.
 */
export function softmaxCrossEntropy(ctx: LossContext, logits: string, labels: LabelKind, labelInput: string): LossTerm {
  const { b } = ctx;
  const dims = ctx.shape(logits);
  if (dims.length < 2) throw new RetortError('BAD_ARGUMENT', `Cross-entropy needs logits of rank >= 2, "${logits}" has dims [${dims.join(',')}]`);
  const classes = dims[dims.length - 1]!;
  const positionDims = dims.slice(0, -1);
  const positions = positionDims.reduce((a, c) => a * c, 1);
  let target: string;
  let input: ValueInfoProto;
  if (labels === 'index') {
    input = tensorInfo(labelInput, DataType.INT64, positionDims);
    // OneHot's output depends only on the labels, so the engine sends no gradient through it.
    target = b.op('OneHot', [labelInput, b.constInt64(classes), b.constFloat([0, 1])], { axis: -1 });
  } else {
    input = tensorInfo(labelInput, DataType.FLOAT, dims);
    target = labelInput;
  }
  const logProbabilities = logSoftmax(b, logits);
  const total = b.reduceSum(b.mul(target, logProbabilities), dims.map((_, i) => i), false);
  const value = b.scale(total, -1 / positions);
  const labelIndices = labels === 'index' ? labelInput : b.op('ArgMax', [labelInput], { axis: -1, keepdims: 0 });
  return { value, inputs: [input], stopGradients: [], metrics: { correct: correctCount(b, logits, labelIndices, dims.length) } };
}

/**
 * Number of positions whose arg-max class equals the label (ArgMax, Equal, Cast, ReduceSum), as a
 * float scalar. Not differentiable; read as a metric.
 */
export function correctCount(b: GraphBuilder, logits: string, labelIndices: string, rank: number): string {
  const predicted = b.op('ArgMax', [logits], { axis: -1, keepdims: 0 });
  const hits = b.toFloat(b.op('Equal', [predicted, labelIndices]));
  return b.reduceSum(hits, Array.from({ length: rank - 1 }, (_, i) => i), false);
}

/** Mean squared error over all elements, PyTorch's `F.mse_loss` with reduction 'mean'. */
export function meanSquaredError(ctx: LossContext, prediction: string, targetInput: string): LossTerm {
  const { b } = ctx;
  const dims = ctx.shape(prediction);
  const error = b.sub(prediction, targetInput);
  const value = b.reduceMean(b.mul(error, error), dims.map((_, i) => i), false);
  return { value, inputs: [tensorInfo(targetInput, DataType.FLOAT, dims)], stopGradients: [], metrics: {} };
}
