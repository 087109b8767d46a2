/**
 * Weight sharing (Han et al. 2016, section 3): per layer, the surviving (non-zero) weights are
 * clustered by 1-D k-means and each replaced by its centroid. For fine-tuning, a shared weight is
 * written in the graph as Gather(centroids, cluster_indices) * prune_mask, so the autodiff engine's
 * Gather rule sums the gradients of each cluster's members into its centroid: the paper's centroid
 * update, with no special code.
 */
import { cloneForEditing } from '../autodiff/gradientModel.js';
import { Graph } from '../onnx/graph.js';
import { decodeModel, encodeModel } from '../onnx/model.js';
import { listParameters } from '../onnx/parameters.js';
import type { ModelProto } from '../onnx/proto.js';
import { makeTensor, readFloat32, tensorDims } from '../onnx/tensor.js';
import { RetortError } from '../util/errors.js';
import { Registry } from '../util/registry.js';
import { kmeans1d } from './kmeans.js';

export type LayerKind = 'conv' | 'fc';

/** Which weights are shared, by the op that reads them and the input index of its weight. */
export const sharedWeightKinds = new Registry<{ kind: LayerKind; weightInput: number }>('weight-sharing layer')
  .register('Conv', { kind: 'conv', weightInput: 1 })
  .register('ConvTranspose', { kind: 'conv', weightInput: 1 })
  .register('Gemm', { kind: 'fc', weightInput: 1 })
  .register('MatMul', { kind: 'fc', weightInput: 1 });

export interface SharedLayer {
  parameter: string;
  dims: number[];
  kind: LayerKind;
  codebook: Float32Array;
  /** Cluster of each element, -1 where the weight is pruned (zero). */
  clusters: Int32Array;
}

export interface WeightSharingOptions {
  clustersConv: number;
  clustersFc: number;
}

/** Layers whose weights are shared: a parameter read as the weight of a registered op. */
function sharedParameters(model: ModelProto): Map<string, LayerKind> {
  const graph = new Graph(model.graph!);
  const params = new Set(listParameters(graph).filter((p) => p.storage === 'initializer').map((p) => p.name));
  const found = new Map<string, LayerKind>();
  for (const node of graph.nodes) {
    const entry = node.domain ? undefined : sharedWeightKinds.find(node.opType);
    let weight = entry ? node.input[entry.weightInput] : undefined;
    // PyTorch exports nn.Linear as MatMul(x, Transpose(W)).
    const producer = weight ? graph.producerOf(weight) : undefined;
    if (producer?.opType === 'Transpose') weight = producer.input[0];
    if (entry && weight && params.has(weight)) found.set(weight, entry.kind);
  }
  return found;
}

export function clusterWeights(model: ModelProto, options: WeightSharingOptions): SharedLayer[] {
  const graph = new Graph(model.graph!);
  const layers: SharedLayer[] = [];
  for (const [parameter, kind] of sharedParameters(model)) {
    const k = kind === 'conv' ? options.clustersConv : options.clustersFc;
    if (!(Number.isInteger(k) && k >= 2 && k <= 65535)) throw new RetortError('BAD_ARGUMENT', `Clusters for ${kind} layers: expected an integer in [2, 65535], got ${k}`);
    const tensor = graph.initializer(parameter)!;
    const values = readFloat32(tensor);
    const survivors = values.filter((x) => x !== 0);
    // No more clusters than surviving weights: extra centroids would be empty codebook entries.
    const { centroids, assignments } = kmeans1d(survivors, Math.max(2, Math.min(k, survivors.length)));
    const clusters = new Int32Array(values.length).fill(-1);
    let s = 0;
    values.forEach((x, i) => {
      if (x !== 0) clusters[i] = assignments[s++]!;
    });
    layers.push({ parameter, dims: tensorDims(tensor), kind, codebook: centroids, clusters });
  }
  return layers;
}

export function sharedValues(layer: SharedLayer): Float32Array {
  return Float32Array.from(layer.clusters, (c) => (c < 0 ? 0 : layer.codebook[c]!));
}

/** The model with every shared layer's weights replaced by their centroids. */
export function applySharedWeights(model: ModelProto, layers: readonly SharedLayer[]): ModelProto {
  const copy = cloneForEditing(model);
  const byName = new Map(layers.map((l) => [l.parameter, l]));
  copy.graph!.initializer = copy.graph!.initializer.map((t) => {
    const layer = byName.get(t.name);
    return layer ? makeTensor(t.name, layer.dims, sharedValues(layer)) : t;
  });
  return decodeModel(encodeModel(copy));
}

export const centroidsName = (parameter: string): string => `${parameter}.centroids`;
export const PRUNE_MASK_SUFFIX = '.prune_mask';

export const CENTROID_GRADIENT_SCALE_SUFFIX = '.centroid_gradient_scale';

/**
 * How a centroid's gradient is formed from its members' gradients. 'sum' is Han et al. 2016, eq. 3;
 * its step grows with the cluster's size (about 1000 weights per centroid in LeNet-5's pruned fc1
 * at 32 clusters, 1 in conv1), so a learning rate that suits training the weights moves the large
 * clusters' centroids ~1000x as far: with distillation's soft targets (whose gradients do not vanish
 * on a model that already fits its labels) SGD at lr 0.01 diverged to chance. 'mean' divides by the
 * cluster size (as the Caffe reimplementation may0324/DeepCompression-caffe does), so a centroid
 * moves as far as one of its weights would under the members' mean gradient, at any cluster size.
 */
export type CentroidGradient = 'sum' | 'mean';

export interface SharedTrainingForm {
  model: ModelProto;
  /** Values the training graph must not differentiate through (the Trainer's `stopGradients`). */
  stopGradients: string[];
}

/** Members per cluster: 1 / count as a [clusters] tensor (1 for an empty cluster, whose gradient is 0 anyway). */
function inverseClusterSizes(layer: SharedLayer): Float32Array {
  const counts = new Float32Array(layer.codebook.length);
  for (const c of layer.clusters) if (c >= 0) counts[c]! += 1;
  return counts.map((n) => (n > 0 ? 1 / n : 1));
}

/**
 * The training form: each shared weight computed as Gather(centroids, cluster_indices) * prune_mask.
 * With `gradient: 'mean'` the centroids enter through stop(c) + (c * s - stop(c * s)), s = 1 / cluster
 * size: the forward value is exactly c, the gradient reaching c is s times the members' sum.
 */
export function sharedTrainingForm(model: ModelProto, layers: readonly SharedLayer[], gradient: CentroidGradient): SharedTrainingForm {
  const copy = cloneForEditing(model);
  const graph = new Graph(copy.graph!);
  const stopGradients: string[] = [];
  const stop = (x: string): string => {
    const y = graph.uniqueName(`${x}.stop`);
    graph.addNode({ opType: 'Identity', inputs: [x], outputs: [y] });
    stopGradients.push(y);
    return y;
  };
  for (const layer of layers) {
    graph.removeInitializer(layer.parameter);
    copy.graph!.input = copy.graph!.input.filter((i) => i.name !== layer.parameter);
    const centroids = centroidsName(layer.parameter);
    const indices = `${layer.parameter}.cluster_indices`;
    const mask = `${layer.parameter}${PRUNE_MASK_SUFFIX}`;
    graph.addInitializer(makeTensor(centroids, [layer.codebook.length], layer.codebook));
    graph.addInitializer(makeTensor(indices, layer.dims, BigInt64Array.from(layer.clusters, (c) => BigInt(Math.max(0, c)))));
    graph.addInitializer(makeTensor(mask, layer.dims, Float32Array.from(layer.clusters, (c) => (c < 0 ? 0 : 1))));
    let table = centroids;
    if (gradient === 'mean') {
      const scale = `${layer.parameter}${CENTROID_GRADIENT_SCALE_SUFFIX}`;
      graph.addInitializer(makeTensor(scale, [layer.codebook.length], inverseClusterSizes(layer)));
      const scaled = graph.uniqueName(`${centroids}.scaled`);
      graph.addNode({ opType: 'Mul', inputs: [centroids, scale], outputs: [scaled] });
      const delta = graph.uniqueName(`${centroids}.gradient_only`);
      graph.addNode({ opType: 'Sub', inputs: [scaled, stop(scaled)], outputs: [delta] });
      table = graph.uniqueName(`${centroids}.mean_gradient`);
      graph.addNode({ opType: 'Add', inputs: [stop(centroids), delta], outputs: [table] });
    }
    const gathered = graph.uniqueName(`${layer.parameter}.gathered`);
    graph.addNode({ opType: 'Gather', inputs: [table, indices], outputs: [gathered], attrs: { axis: 0 } });
    graph.addNode({ opType: 'Mul', inputs: [gathered, mask], outputs: [layer.parameter] });
  }
  graph.sortNodes();
  return { model: decodeModel(encodeModel(copy)), stopGradients };
}

/** The training form with the paper's summed centroid gradients (eq. 3). */
export function sharedTrainingModel(model: ModelProto, layers: readonly SharedLayer[]): ModelProto {
  return sharedTrainingForm(model, layers, 'sum').model;
}

/** New codebooks read back from a trained training-form model. */
export function readCentroids(trained: ModelProto, layers: readonly SharedLayer[]): SharedLayer[] {
  const graph = new Graph(trained.graph!);
  return layers.map((layer) => {
    const tensor = graph.initializer(centroidsName(layer.parameter));
    if (!tensor) throw new RetortError('UNKNOWN_KEY', `The trained model has no centroids "${centroidsName(layer.parameter)}"`);
    return { ...layer, codebook: readFloat32(tensor) };
  });
}
