/**
 * Deep Compression (Han, Mao & Dally 2016) as a pipeline of stages:
 *   1. pruning + masked retraining: INJECTED (`prune`). Method modules do not import each other, so
 *      this module takes the pruning stage as a function; `retort compress-deep` wires in src/prune's
 *      magnitudePrune + retrainWithMasks. Any stage that leaves pruned weights at exactly 0 fits.
 *   2. weight sharing: per-layer k-means with linear initialization (weightSharing.ts);
 *   3. centroid fine-tuning (optional): Trainer on the Gather(centroids, indices) form;
 *   4. Huffman coding of cluster indices and relative positions, written as a .retort-dc file,
 *      checked to decode to exactly the model it encodes.
 * `retort compress-deep` and the recipe's `deep-compress` stage both go through here.
 */
import { encodeModel } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { trainToEnd, type OpenTrainer } from '../train/openTrainer.js';
import type { TrainData, TrainerConfig, EpochRecord } from '../train/trainer.js';
import { RetortError } from '../util/errors.js';
import { decodeDeepCompressed, encodeDeepCompressed, type EncodedLayer, type IndexBits } from './dcFormat.js';
import { layerSize, totalSize, type LayerSize } from './sizeReport.js';
import { applySharedWeights, CENTROID_GRADIENT_SCALE_SUFFIX, clusterWeights, PRUNE_MASK_SUFFIX, readCentroids, sharedTrainingForm, type CentroidGradient, type SharedLayer, type WeightSharingOptions } from './weightSharing.js';

export type PruneStage = (model: ModelProto) => Promise<ModelProto>;

export interface DeepCompressionOptions {
  prune?: PruneStage;
  sharing: WeightSharingOptions;
  /** Relative-index widths; the paper's 8 bits (conv) and 5 bits (fc) by default. */
  indexBits?: IndexBits;
  /** Centroid fine-tuning; the configuration's `frozen` gets the prune masks added. */
  fineTune?: CentroidFineTune;
}

export interface CentroidFineTune {
  config: TrainerConfig;
  data: TrainData;
  /** How the trainer is opened (default: plain, on the config's loss; a layer above may distill). */
  open?: OpenTrainer;
  /** A checkpoint an interrupted run of this same fine-tune wrote (config.checkpoint). */
  resumeFrom?: string;
  /**
   * Default 'sum': the paper's rule (Han et al. 2016, eq. 3), each centroid stepped on its members'
   * summed gradients. 'mean' divides by the cluster size, a step independent of it (the Caffe
   * reimplementation's choice); distillation's larger gradients diverge under 'sum' at rates where
   * labels alone do not (weightSharing.ts, CentroidGradient).
   */
  centroidGradient?: CentroidGradient;
}

export interface DeepCompressionResult {
  pruned: ModelProto;
  /** The model with shared weights (what the .retort-dc file decodes to). */
  model: ModelProto;
  bytes: Uint8Array;
  layers: EncodedLayer[];
  sizes: LayerSize[];
  total: LayerSize;
  fineTuneHistory: EpochRecord[];
}

export const PAPER_INDEX_BITS: IndexBits = { conv: 8, fc: 5 };

export async function fineTuneCentroids(model: ModelProto, layers: readonly SharedLayer[], fineTune: CentroidFineTune): Promise<{ layers: SharedLayer[]; history: EpochRecord[] }> {
  const { config, data } = fineTune;
  const training = sharedTrainingForm(model, layers, fineTune.centroidGradient ?? 'sum');
  const constants = [PRUNE_MASK_SUFFIX, CENTROID_GRADIENT_SCALE_SUFFIX].map((suffix) => `${suffix.replace('.', '\\.')}$`);
  const frozen = [...(config.frozen ?? []), ...constants];
  const stopGradients = [...(config.stopGradients ?? []), ...training.stopGradients];
  const result = await trainToEnd(training.model, { ...config, frozen, stopGradients }, data, fineTune);
  return { layers: readCentroids(result.model, layers), history: result.history };
}

/** Throws unless the .retort-dc bytes decode to exactly `model` (its ONNX encoding, byte for byte). */
export function checkDecodesTo(bytes: Uint8Array, model: ModelProto): void {
  const decoded = encodeModel(decodeDeepCompressed(bytes));
  const expected = encodeModel(model);
  if (decoded.length !== expected.length || decoded.some((b, i) => b !== expected[i])) throw new RetortError('RUNTIME_FAILURE', 'The .retort-dc file does not decode to the compressed model');
}

/** The numbers of a compression: the model's ONNX bytes, the .retort-dc bytes, their ratio, and the per-layer P+Q+H table. */
export interface DeepCompressionSummary {
  originalBytes: number;
  compressedBytes: number;
  /** ONNX bytes / .retort-dc bytes (graph and biases included). */
  fileRatio: number;
  layers: LayerSize[];
  total: LayerSize;
}

export function deepCompressionSummary(original: ModelProto, result: DeepCompressionResult): DeepCompressionSummary {
  const originalBytes = encodeModel(original).byteLength;
  return { originalBytes, compressedBytes: result.bytes.byteLength, fileRatio: originalBytes / result.bytes.byteLength, layers: result.sizes, total: result.total };
}

export async function deepCompress(model: ModelProto, options: DeepCompressionOptions): Promise<DeepCompressionResult> {
  const pruned = options.prune ? await options.prune(model) : model;
  let layers = clusterWeights(pruned, options.sharing);
  if (layers.length === 0) throw new RetortError('BAD_ARGUMENT', 'Deep Compression: the model has no float Conv/Gemm/MatMul weight initializers to share (a quantized model? give the float one)');
  let history: EpochRecord[] = [];
  if (options.fineTune) ({ layers, history } = await fineTuneCentroids(pruned, layers, options.fineTune));
  const shared = applySharedWeights(pruned, layers);
  const encoded = encodeDeepCompressed(shared, layers, options.indexBits ?? PAPER_INDEX_BITS);
  checkDecodesTo(encoded.bytes, shared);
  const sizes = encoded.layers.map(layerSize);
  return { pruned, model: shared, bytes: encoded.bytes, layers: encoded.layers, sizes, total: totalSize(sizes, encoded.layers), fineTuneHistory: history };
}
