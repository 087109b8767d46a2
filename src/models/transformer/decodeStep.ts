/**
 * The KV-cached decode step of a retort GPT (models/gpt.ts), built around the model's own weights
 * (the same initializer tensors) by the same builder code, so it computes what the model computes:
 *
 *   inputs   input_ids int64 [batch, seq]                      the new tokens
 *            past_key_values.{l}.key / .value [batch, heads_l, past, d_head_l]   one pair per block l
 *   outputs  logits [batch, seq, vocab]                        at the new positions
 *            present.{l}.key / .value [batch, heads_l, past + seq, d_head_l]      past then new
 *
 * (Hugging Face's / transformers.js's names; l counts the blocks present, 0-based.) The new tokens
 * sit at positions past .. past+seq-1, read from the cache's length, so the position offset cannot
 * disagree with the cache; a query at position p attends to keys 0..p. An empty past (length 0) makes
 * the step a plain forward pass over the tokens that returns their keys and values (the prefill).
 * Positions must stay below the model's context, as in the model itself.
 */
import { DataType } from '../../onnx/dtype.js';
import { Graph } from '../../onnx/graph.js';
import type { ModelProto } from '../../onnx/proto.js';
import { gptLayers, type GptShape } from '../gpt.js';
import { finishModel } from './config.js';
import { tensorInfo, type TransformerGraph } from './layers.js';
import { BATCH_DIM, CAUSAL_MASK, INPUT_IDS, LOGITS, POSITION_IDS, SEQUENCE_DIM } from './names.js';
import { ReusedWeightsGraph } from './reusedWeights.js';

export const pastKeyName = (layer: number): string => `past_key_values.${layer}.key`;
export const pastValueName = (layer: number): string => `past_key_values.${layer}.value`;
export const presentKeyName = (layer: number): string => `present.${layer}.key`;
export const presentValueName = (layer: number): string => `present.${layer}.value`;
/** Symbolic dims of the cache. */
export const PAST_DIM = 'past_sequence';
export const TOTAL_DIM = 'total_sequence';

/** position_ids = past..past+seq-1 and the mask [seq, past+seq], true where a key lies after its query. */
function cachedPositions(t: TransformerGraph, ids: string, pastKey: string): { positions: string; mask: string } {
  const axes = t.constant('lengths.axes', [0], 'int64');
  const past = t.node('Shape', 'past_len', [pastKey], { start: 2, end: 3 }); // int64 [1]
  const total = t.node('Add', 'total_len', [past, t.node('Shape', 'seq_len', [ids], { start: 1, end: 2 })]);
  const pastScalar = t.node('Squeeze', 'past_len_scalar', [past, axes]);
  const totalScalar = t.node('Squeeze', 'total_len_scalar', [total, axes]);
  const one = t.constant('positions.delta', 1, 'int64');
  const positions = t.node('Range', POSITION_IDS, [pastScalar, totalScalar, one]);
  const keys = t.node('Range', 'key_position_ids', [t.constant('key_positions.start', 0, 'int64'), totalScalar, one]);
  const queryColumn = t.node('Unsqueeze', 'causal_mask.queries', [positions, t.constant('causal_mask.queries_axes', [1], 'int64')]); // [seq, 1]
  const keyRow = t.node('Unsqueeze', 'causal_mask.keys', [keys, t.constant('causal_mask.keys_axes', [0], 'int64')]); // [1, past+seq]
  return { positions, mask: t.node('Greater', CAUSAL_MASK, [keyRow, queryColumn]) };
}

/** The decode-step model of `model`, whose sizes `shape` are (transformer/gptShape.ts recognises them). */
export function buildDecodeStep(model: ModelProto, shape: GptShape): ModelProto {
  const cacheInfo = (name: string, layer: number, length: string) => {
    const { heads, headDim } = shape.blocks[layer]!;
    return tensorInfo(name, DataType.FLOAT, [BATCH_DIM, heads, length, headDim]);
  };
  const layers = shape.blocks.map((_, layer) => layer);
  const inputs = [
    tensorInfo(INPUT_IDS, DataType.INT64, [BATCH_DIM, SEQUENCE_DIM]),
    ...layers.flatMap((l) => [cacheInfo(pastKeyName(l), l, PAST_DIM), cacheInfo(pastValueName(l), l, PAST_DIM)]),
  ];
  const t = new ReusedWeightsGraph(`${model.graph!.name || 'gpt'}_decode_step`, inputs, new Graph(model.graph!));
  const { positions, mask } = cachedPositions(t, INPUT_IDS, pastKeyName(0));
  gptLayers(t, shape, {
    positions,
    mask,
    cache: (l) => ({ pastKey: pastKeyName(l), pastValue: pastValueName(l), presentKey: presentKeyName(l), presentValue: presentValueName(l) }),
  });
  const outputs = [
    tensorInfo(LOGITS, DataType.FLOAT, [BATCH_DIM, SEQUENCE_DIM, shape.vocabSize]),
    ...layers.flatMap((l) => [cacheInfo(presentKeyName(l), l, TOTAL_DIM), cacheInfo(presentValueName(l), l, TOTAL_DIM)]),
  ];
  return finishModel(t, outputs, `KV-cached decode step of: ${model.docString ?? 'a GPT decoder'}`);
}
