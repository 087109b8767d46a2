/**
 * A model's first output turned into the mean softmax cross-entropy against integer labels (the
 * loss of the reference folders), with gradients of that loss as extra outputs.
 */
import { GraphBuilder } from '../../autodiff/builder.js';
import { buildGradientModel, cloneForEditing, defaultOpset, type GradientModel } from '../../autodiff/gradientModel.js';
import { Graph } from '../../onnx/graph.js';
import { newValueInfo, type ModelProto } from '../../onnx/proto.js';
import type { Feeds } from '../../runtime/session.js';
import { inferShapes } from '../../runtime/shapeInference.js';
import { int64Tensor } from '../../runtime/tensors.js';
import { softmaxCrossEntropy } from '../../train/losses.js';
import { RetortError } from '../../util/errors.js';

export interface LossGradientModel extends GradientModel {
  /** Name of the labels input added to the model. */
  labelsInput: string;
  /** Name of the logits value (the model's first output), also kept as an output. */
  logits: string;
}

/** `feeds` holds the model's own inputs; labels are fed under `labelsInput` at run time. */
export async function buildCrossEntropyGradientModel(
  model: ModelProto,
  feeds: Feeds,
  labels: { data: BigInt64Array; dims: number[] },
  wrt: readonly string[],
): Promise<LossGradientModel> {
  const copy = cloneForEditing(model);
  const graph = new Graph(copy.graph!);
  const logits = graph.outputs[0]?.name;
  if (!logits) throw new RetortError('GRAPH_INVALID', 'The model has no outputs to take a loss of');
  const shapes = await inferShapes(copy, feeds);
  const b = new GraphBuilder(graph, defaultOpset(copy), 'loss/');
  const labelsInput = graph.uniqueName('labels');
  const term = softmaxCrossEntropy(
    { b, shape: (v) => shapes.get(v)?.dims ?? [], modelOutput: logits },
    logits,
    'index',
    labelsInput,
  );
  copy.graph!.input.push(...term.inputs);
  const withLabels: Feeds = { ...feeds, [labelsInput]: int64Tensor(labels.data, labels.dims) };
  const result = await buildGradientModel(copy, term.value, wrt, withLabels);
  // Keep the logits as an output too, to compare the forward pass.
  result.model.graph!.output.push(newValueInfo({ name: logits }));
  return { ...result, labelsInput, logits };
}
