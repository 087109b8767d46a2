/**
 * BatchNormalization in training mode (Ioffe & Szegedy 2015): normalize with the batch's own mean
 * and variance, and update the running statistics as a side output fed back like optimizer state.
 * ORT's inference build has no training-mode BatchNormalization kernel, so the op is composed from
 * elementwise ops and reductions, which also gives the autodiff engine ops it has rules for.
 * Running variance is updated with the unbiased batch variance, as PyTorch does.
 */
import type { GraphBuilder } from '../autodiff/builder.js';
import { attrFloat } from '../onnx/attributes.js';
import type { Graph } from '../onnx/graph.js';
import { RetortError } from '../util/errors.js';

export interface RunningStatistic {
  /** The BN input holding it (an initializer name, e.g. `bn1.running_mean`). */
  name: string;
  /** The updated value computed this step. */
  updated: string;
}

export function composeTrainingBatchNorm(
  graph: Graph,
  b: GraphBuilder,
  shapeOf: (value: string) => readonly number[],
): RunningStatistic[] {
  const statistics: RunningStatistic[] = [];
  for (const node of graph.nodes.filter((n) => n.opType === 'BatchNormalization' && !n.domain)) {
    const [x, scale, bias, mean, variance] = node.input as [string, string, string, string, string];
    if (!graph.initializer(mean) || !graph.initializer(variance)) {
      throw new RetortError('GRAPH_INVALID', `BatchNormalization "${node.name}": running mean and variance must be initializers to train`);
    }
    const dims = shapeOf(x);
    const epsilon = attrFloat(node, 'epsilon', 1e-5);
    const momentum = attrFloat(node, 'momentum', 0.9);
    const axes = dims.map((_, i) => i).filter((i) => i !== 1);
    const count = axes.reduce((n, a) => n * dims[a]!, 1);
    // Per-channel parameters [C] broadcast against [N, C, ...] as [C, 1, ...].
    const channelDims = [dims[1]!, ...dims.slice(2).map(() => 1)];
    const batchMean = b.reduceMean(x, axes, true);
    const centered = b.sub(x, batchMean);
    const batchVariance = b.reduceMean(b.mul(centered, centered), axes, true);
    const normalized = b.div(centered, b.sqrt(b.add(batchVariance, b.constFloat(epsilon))));
    const y = b.add(b.mul(normalized, b.reshape(scale, channelDims)), b.reshape(bias, channelDims));
    // The composed output keeps the node's output name, so consumers and graph outputs stay wired.
    graph.addNode({ opType: 'Identity', inputs: [y], outputs: [node.output[0]!], name: graph.uniqueName(`${node.name}/train`) });
    const unbiased = count > 1 ? count / (count - 1) : 1;
    const blend = (running: string, batch: string, factor: number): string =>
      b.add(b.scale(running, momentum), b.scale(b.reshape(batch, [dims[1]!]), (1 - momentum) * factor));
    statistics.push({ name: mean, updated: blend(mean, batchMean, 1) }, { name: variance, updated: blend(variance, batchVariance, unbiased) });
    graph.removeNode(node);
  }
  return statistics;
}
