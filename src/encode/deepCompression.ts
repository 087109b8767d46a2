/**
 * Deep Compression (Han, Mao & Dally 2016) as a pipeline of stages:
 *   1. pruning + masked retraining: INJECTED (`prune`). Method modules do not import each other, so
 *      this module takes the pruning stage as a function; `retort compress-deep` wires in src/prune's
 *      magnitudePrune + retrainWithMasks. Any stage that leaves pruned weights at exactly 0 fits.
 *   2. weight sharing: per-layer k-means with linear initialization (weightSharing.ts);
 *   3. centroid fine-tuning (optional): Trainer on the Gather(centroids, indices) form;
 *   4. Huffman coding of cluster indices and relative positions, written as a .retort-dc file.
 */
import type { ModelProto } from '../onnx/proto.js';
import { Trainer, type TrainData, type TrainerConfig, type EpochRecord } from '../train/trainer.js';
import { encodeDeepCompressed, type EncodedLayer, type IndexBits } from './dcFormat.js';
import { layerSize, totalSize, type LayerSize } from './sizeReport.js';
import { applySharedWeights, clusterWeights, PRUNE_MASK_SUFFIX, readCentroids, sharedTrainingModel, type SharedLayer, type WeightSharingOptions } from './weightSharing.js';

export type PruneStage = (model: ModelProto) => Promise<ModelProto>;

export interface DeepCompressionOptions {
  prune?: PruneStage;
  sharing: WeightSharingOptions;
  /** Relative-index widths; the paper's 8 bits (conv) and 5 bits (fc) by default. */
  indexBits?: IndexBits;
  /** Centroid fine-tuning; the configuration's `frozen` gets the prune masks added. */
  fineTune?: { config: TrainerConfig; data: TrainData };
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

export async function fineTuneCentroids(model: ModelProto, layers: readonly SharedLayer[], config: TrainerConfig, data: TrainData): Promise<{ layers: SharedLayer[]; history: EpochRecord[] }> {
  const training = sharedTrainingModel(model, layers);
  const frozen = [...(config.frozen ?? []), `${PRUNE_MASK_SUFFIX.replace('.', '\\.')}$`];
  const trainer = await Trainer.create(training, { ...config, frozen }, data);
  try {
    const result = await trainer.fit();
    return { layers: readCentroids(result.model, layers), history: result.history };
  } finally {
    await trainer.dispose();
  }
}

export async function deepCompress(model: ModelProto, options: DeepCompressionOptions): Promise<DeepCompressionResult> {
  const pruned = options.prune ? await options.prune(model) : model;
  let layers = clusterWeights(pruned, options.sharing);
  let history: EpochRecord[] = [];
  if (options.fineTune) {
    ({ layers, history } = await fineTuneCentroids(pruned, layers, options.fineTune.config, options.fineTune.data));
  }
  const shared = applySharedWeights(pruned, layers);
  const encoded = encodeDeepCompressed(shared, layers, options.indexBits ?? PAPER_INDEX_BITS);
  const sizes = encoded.layers.map(layerSize);
  return { pruned, model: shared, bytes: encoded.bytes, layers: encoded.layers, sizes, total: totalSize(sizes, encoded.layers), fineTuneHistory: history };
}
