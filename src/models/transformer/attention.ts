/**
 * Multi-head scaled dot-product self-attention (Vaswani et al. 2017, "Attention Is All You Need"):
 * softmax(q kᵀ / √d_head + mask) v per head, heads concatenated and projected.
 *
 * Heads are split with Reshape [0, 0, -1, d_head] and merged with Reshape [0, 0, -1]: the graph fixes
 * the head width, not the head count, so removing heads (structured pruning) only slices weights.
 *
 * With a `cache` the attention is one decoding step over new positions only (transformer/decodeStep.ts):
 * the new keys and values are appended to the past ones along the sequence axis ([batch, heads, seq,
 * d_head], as Hugging Face's `past_key_values` and `present` hold them) and the new queries attend
 * to all of them.
 */
import type { TransformerGraph } from './layers.js';

/**
 * What masked scores are set to: BERT's reference implementation adds -10000 (Devlin et al. 2019,
 * modeling.py); finite, so a row with every key masked gives a uniform distribution instead of NaN,
 * and representable in float16. Set with Where rather than added, so no score can offset it.
 */
export const MASKED_SCORE = -10000;

/** The cached keys and values of one attention: inputs past[batch, heads, past, d_head], outputs present[batch, heads, past + seq, d_head]. */
export interface AttentionCache {
  pastKey: string;
  pastValue: string;
  presentKey: string;
  presentValue: string;
}

export interface AttentionOptions {
  dim: number;
  heads: number;
  /** Width of one head; default dim / heads (structured pruning removes heads, so heads · d_head may be below dim). */
  headDim?: number;
  /** Boolean mask broadcastable to [batch, heads, seq, seq], true where a query may not look. */
  mask?: string;
  /** Dropout on the attention probabilities. */
  dropout: number;
  /** Std of the q, k, v projection weights. */
  weightStd: number;
  /** Std of the output projection weights (GPT-2 scales residual projections down). */
  outputStd: number;
  /** Decode step: attend over past and new keys; the mask is then [seq, past + seq]. */
  cache?: AttentionCache;
}

/** Self-attention over x [batch, seq, dim]; returns `NAME.out`, [batch, seq, dim]. */
export function selfAttention(t: TransformerGraph, name: string, x: string, options: AttentionOptions): string {
  const { dim, heads, mask, dropout, weightStd, outputStd, cache } = options;
  const headDim = options.headDim ?? dim / heads;
  const width = heads * headDim;
  const splitShape = t.constant(`${name}.split_heads_shape`, [0, 0, -1, headDim], 'int64');
  const mergeShape = t.constant(`${name}.merge_heads_shape`, [0, 0, -1], 'int64');
  const heads4d = (role: string, value: string, perm: number[]): string => {
    const split = t.node('Reshape', `${name}.${role}_heads`, [value, splitShape]);
    return t.node('Transpose', `${name}.${role}_t`, [split], { perm });
  };
  const query = t.linear(`${name}.q`, x, dim, width, weightStd);
  const key = t.linear(`${name}.k`, x, dim, width, weightStd);
  const value = t.linear(`${name}.v`, x, dim, width, weightStd);
  // Scaling q ([batch, seq, dim]) costs less than scaling the scores ([batch, heads, seq, seq]).
  const scaled = t.node('Mul', `${name}.q_scaled`, [query, t.constant(`${name}.scale`, 1 / Math.sqrt(headDim), 'float')]);
  const q = heads4d('q', scaled, [0, 2, 1, 3]); // [batch, heads, seq, d_head]
  // Without a cache kᵀ directly; with one the new keys in the cache's layout, appended below.
  const k = heads4d('k', key, cache ? [0, 2, 1, 3] : [0, 2, 3, 1]); // [batch, heads, d_head, seq] or [batch, heads, seq, d_head]
  let v = heads4d('v', value, [0, 2, 1, 3]); // [batch, heads, seq, d_head]
  let kT = k;
  if (cache) {
    const keys = t.node('Concat', `${name}.present_key`, [cache.pastKey, k], { axis: 2 }, cache.presentKey); // [batch, heads, past + seq, d_head]
    v = t.node('Concat', `${name}.present_value`, [cache.pastValue, v], { axis: 2 }, cache.presentValue);
    kT = t.node('Transpose', `${name}.present_key_t`, [keys], { perm: [0, 1, 3, 2] });
  }
  let scores = t.node('MatMul', `${name}.scores`, [q, kT]); // [batch, heads, seq, seq]
  if (mask) scores = t.node('Where', `${name}.masked_scores`, [mask, t.constant(`${name}.masked_score`, MASKED_SCORE, 'float'), scores]);
  const probs = t.node('Softmax', `${name}.probs`, [scores], { axis: -1 });
  const attended = t.node('MatMul', `${name}.context_heads`, [t.maybeDropout(`${name}.dropout`, probs, dropout), v]);
  const merged = t.node('Reshape', `${name}.context`, [t.node('Transpose', `${name}.context_t`, [attended], { perm: [0, 2, 1, 3] }), mergeShape]);
  return t.linear(`${name}.out`, merged, width, dim, outputStd);
}
