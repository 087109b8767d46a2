/**
 * The cost model of one saved model: parameters (total and non-zero), bytes on disk (raw, gzip,
 * and Huffman coded where the weights take few distinct values: huffmanSize.ts), MACs for one
 * input shape with a per-layer breakdown, per-layer sparsity and bit-width, and ORT latency.
 * Everything is measured from the file's bytes, so what is reported is what ships.
 */
import { decodeModel } from '../../onnx/model.js';
import type { ModelProto } from '../../onnx/proto.js';
import { inferModelShapes, macsFromShapes } from '../macs.js';
import { weightedLayers } from './layers.js';
import { measureModelLatency, type LatencyOptions } from './latency.js';
import { countParameters } from './parameters.js';
import { huffmanBytes } from './huffmanSize.js';
import { modelBytes } from './size.js';
import type { ModelCost } from './types.js';

export type { LayerCost, Latency, ModelBytes, ModelCost } from './types.js';
export { batchFeeds, measureModelLatency, type LatencyOptions } from './latency.js';
export { modelBytes } from './size.js';
export { huffmanBytes, huffmanBits, layerHuffmanBits } from './huffmanSize.js';
export { weightedLayers, layerRules } from './layers.js';
export { countParameters } from './parameters.js';

export interface CostOptions {
  /** Concrete shapes for MAC counting (e.g. input=1x784); declared dims with symbolic ones set to 1 otherwise. */
  inputShapes?: Record<string, readonly number[]>;
  latency: LatencyOptions;
  /** Already decoded, to skip a second decode of large files. */
  model?: ModelProto;
}

export async function measureCost(fileBytes: Uint8Array, options: CostOptions): Promise<ModelCost> {
  const model = options.model ?? decodeModel(fileBytes);
  const shapes = await inferModelShapes(model, options.inputShapes ?? {});
  const layers = weightedLayers(model, shapes);
  const macs = macsFromShapes(model, shapes);
  // Custom-domain layers (MatMulNBits) are counted by their layer rule, not by src/eval/macs.ts.
  const extraMacs = layers.filter((l) => l.macsFromRule).reduce((s, l) => s + (l.cost.macs ?? 0), 0);
  const huffman = huffmanBytes(fileBytes.byteLength, layers);
  return {
    ...countParameters(model, layers),
    bytes: { ...modelBytes(fileBytes), ...(huffman === undefined ? {} : { huffman }) },
    macs: { total: macs.total + extraMacs, inputShapes: macs.inputShapes, uncounted: macs.uncounted },
    latency: await measureModelLatency(model, fileBytes, options.latency),
    perLayer: layers.map((l) => l.cost),
  };
}
