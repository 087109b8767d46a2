/**
 * What a transformer computes from its inputs before the first block: token plus learned position
 * embeddings (GPT, BERT), and the attention masks. Positions and the causal mask are derived from the
 * input's run-time shape (Shape → Range), so one model serves every sequence length up to its context
 * and stores no [context, context] table; a longer sequence fails in the position Gather.
 */
import type { TransformerGraph } from './layers.js';
import { CAUSAL_MASK, PADDING_MASK, POSITION_EMBEDDING, POSITION_IDS, TOKEN_EMBEDDING } from './names.js';

/** position_ids = 0..seq-1 (int64 [seq]) from ids [batch, seq]. */
export function positionIds(t: TransformerGraph, ids: string): string {
  const length = t.node('Shape', 'seq_len', [ids], { start: 1, end: 2 }); // int64 [1]
  const scalar = t.node('Squeeze', 'seq_len_scalar', [length, t.constant('seq_len_scalar.axes', [0], 'int64')]);
  return t.node('Range', POSITION_IDS, [t.constant('position_ids.start', 0, 'int64'), scalar, t.constant('position_ids.delta', 1, 'int64')]);
}

/** causal_mask [seq, seq]: true where key position > query position (Radford et al. 2018's masked self-attention). */
export function causalMask(t: TransformerGraph, positions: string): string {
  const queries = t.node('Unsqueeze', 'causal_mask.queries', [positions, t.constant('causal_mask.queries_axes', [1], 'int64')]); // [seq, 1]
  const keys = t.node('Unsqueeze', 'causal_mask.keys', [positions, t.constant('causal_mask.keys_axes', [0], 'int64')]); // [1, seq]
  return t.node('Greater', CAUSAL_MASK, [keys, queries]);
}

/** padding_mask [batch, 1, 1, seq]: true at keys whose attention_mask is 0. */
export function paddingMask(t: TransformerGraph, attentionMask: string): string {
  const padding = t.node('Equal', 'padding_mask.equal', [attentionMask, t.constant('padding_mask.zero', 0, 'int64')]);
  return t.node('Unsqueeze', PADDING_MASK, [padding, t.constant('padding_mask.axes', [1, 2], 'int64')]);
}

export interface EmbeddingOptions {
  vocabSize: number;
  context: number;
  dim: number;
  std: number;
}

/** tok_emb(ids) + pos_emb(position_ids): [batch, seq, dim], named `output`. */
export function tokenAndPositionEmbedding(t: TransformerGraph, ids: string, positions: string, options: EmbeddingOptions, output: string): string {
  const tokens = t.embedding(TOKEN_EMBEDDING, ids, options.vocabSize, options.dim, options.std);
  const places = t.embedding(POSITION_EMBEDDING, positions, options.context, options.dim, options.std);
  return t.node('Add', 'embed.sum', [tokens, places], undefined, output);
}
