/**
 * How much each pruned layer changes its own output, on the original model's activations: per sample,
 * e = ||y - y'||² / ||y||², y the output of the node that reads the dense weight and y' the same node
 * with the pruned weight, both fed the dense model's input to that node. This is the quantity Wanda
 * and SparseGPT minimize (Sun et al. 2023, §3; Frantar & Alistarh 2023), layer by layer.
 *
 * Reported as the pooled error (Σ||y - y'||² / Σ||y||²) and the per-sample median and tail: a
 * criterion can lower the average error and still spend it on a few inputs, and on a classifier the
 * errors it makes come from those inputs. One ORT run per batch: a copy of the model holds both the
 * dense node and its pruned twin (a new initializer with the pruned values) and outputs both.
 */
import { epochBatches } from '../data/batches.js';
import type { Dataset } from '../data/dataset.js';
import { cloneForEditing } from '../autodiff/gradientModel.js';
import { Graph } from '../onnx/graph.js';
import { encodeModel } from '../onnx/model.js';
import { newNode, newValueInfo, type ModelProto } from '../onnx/proto.js';
import { makeTensor } from '../onnx/tensor.js';
import { Session } from '../runtime/session.js';
import { floatTensor, readFloats } from '../runtime/tensors.js';
import { RetortError } from '../util/errors.js';
import { findPrunableLayers, readLayerWeights } from './layers.js';

export interface LayerOutputError {
  /** The weight's parameter name. */
  layer: string;
  node: string;
  /** Σ over samples of ||y - y'||², over Σ ||y||². */
  pooled: number;
  median: number;
  p99: number;
  p999: number;
  max: number;
  samples: number;
}

export interface LayerErrorOptions {
  batchSize?: number;
  threads?: number;
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))]!;
}

/** The output error of every prunable layer whose weights differ between `original` and `pruned`, on `data`. */
export async function layerOutputErrors(original: ModelProto, pruned: ModelProto, data: Dataset, options: LayerErrorOptions = {}): Promise<LayerOutputError[]> {
  const layers = findPrunableLayers(original);
  const dense = readLayerWeights(original, layers);
  const prunedLayers = findPrunableLayers(pruned);
  const missing = layers.filter((l) => !prunedLayers.some((p) => p.name === l.name && p.dims.join() === l.dims.join()));
  if (missing.length > 0) throw new RetortError('BAD_ARGUMENT', `Layer output error compares the same layers: the pruned model lacks ${missing.map((l) => `"${l.name}" [${l.dims.join(',')}]`).join(', ')} (a structurally pruned model changes shapes)`);
  const after = readLayerWeights(pruned, layers);
  const changed = layers.filter((l) => dense.get(l.name)!.some((v, i) => v !== after.get(l.name)![i]));
  if (changed.length === 0) return [];

  const copy = cloneForEditing(original);
  const graph = new Graph(copy.graph!);
  const pairs = changed.map((layer) => {
    const node = graph.nodes.find((n) => n.name === layer.node)!;
    const weight = graph.uniqueName(`${layer.name}/pruned`);
    graph.addInitializer(makeTensor(weight, layer.dims, after.get(layer.name)!));
    const twin = graph.uniqueName(`${node.output[0]}/pruned`);
    // Same op, attributes and other inputs (bias included); only the weight differs.
    copy.graph!.node.push(newNode({ ...node, name: graph.uniqueName(`${node.name}/pruned`), input: node.input.map((i) => (i === layer.name ? weight : i)), output: [twin] }));
    for (const value of [node.output[0]!, twin]) if (!graph.isGraphOutput(value)) copy.graph!.output.push(newValueInfo({ name: value }));
    return { layer, dense: node.output[0]!, twin };
  });
  graph.touch();

  const session = await Session.create(encodeModel(copy), { name: 'layer output error', threads: options.threads ?? 0 });
  const per = pairs.map(() => new Float64Array(data.length));
  const sums = pairs.map(() => ({ error: 0, energy: 0 }));
  let sample = 0;
  try {
    const input = session.inputNames[0]!;
    const fetches = pairs.flatMap((p) => [p.dense, p.twin]);
    for (const batch of epochBatches(data, { batchSize: Math.min(options.batchSize ?? 256, data.length), shuffle: false, dropLast: false })) {
      const results = await session.run({ [input]: floatTensor(batch.inputs, batch.dims) }, fetches);
      const count = batch.dims[0]!;
      pairs.forEach((p, k) => {
        const y = readFloats(results[p.dense]!, p.dense);
        const z = readFloats(results[p.twin]!, p.twin);
        const size = y.length / count;
        for (let s = 0; s < count; s++) {
          let error = 0;
          let energy = 0;
          for (let i = s * size; i < (s + 1) * size; i++) {
            error += (y[i]! - z[i]!) ** 2;
            energy += y[i]! ** 2;
          }
          per[k]![sample + s] = energy > 0 ? error / energy : error > 0 ? Infinity : 0;
          sums[k]!.error += error;
          sums[k]!.energy += energy;
        }
      });
      sample += count;
    }
  } finally {
    await session.dispose();
  }
  return pairs.map((p, k) => {
    const sorted = per[k]!.sort();
    return { layer: p.layer.name, node: p.layer.node, pooled: sums[k]!.error / sums[k]!.energy, median: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), p999: quantile(sorted, 0.999), max: quantile(sorted, 1), samples: sorted.length };
  });
}
