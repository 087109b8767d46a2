/**
 * The naming convention of retort's transformer graphs, shared by the builders and by the tools that
 * read their graphs (layer-subset initialization, attention distillation, head pruning): parameter
 * names follow nanoGPT / minGPT state_dicts, and every value is named after the layer that writes it,
 * so `blocks.2.attn.probs` is the attention distribution of block 2 and `blocks.2` its output.
 *
 *   input_ids [batch, seq] int64 ─► tok_emb + pos_emb ─► embed ─► blocks.0 ─► … ─► blocks.{L-1}
 *   ─► ln_f ─► head ─► logits
 *
 * Block i reads `blocks.{i-1}` (block 0 reads `embed`) and values shared by all blocks (the
 * attention mask); every node and parameter of block i is named `blocks.{i}` or `blocks.{i}.…`.
 */

/** Token ids, int64 [batch, seq]; seq may be anything up to the context length. */
export const INPUT_IDS = 'input_ids';
/** Optional encoder input, int64 [batch, seq]: 1 for tokens to attend to, 0 for padding. */
export const ATTENTION_MASK = 'attention_mask';
/** The model output: [batch, seq, vocab] for a decoder, [batch, classes] for a classifier. */
export const LOGITS = 'logits';
/** Symbolic dims of the inputs and outputs. */
export const BATCH_DIM = 'batch';
export const SEQUENCE_DIM = 'seq';

/** The embeddings' output, the input of block 0. */
export const EMBED = 'embed';
/** The position ids 0..seq-1 (int64 [seq]), derived in the graph from the input's shape. */
export const POSITION_IDS = 'position_ids';
/** Boolean [seq, seq]: true where the key lies after the query (a causal model may not look there). */
export const CAUSAL_MASK = 'causal_mask';
/** Boolean [batch, 1, 1, seq]: true at padding keys (from ATTENTION_MASK). */
export const PADDING_MASK = 'padding_mask';

export const TOKEN_EMBEDDING = 'tok_emb';
export const POSITION_EMBEDDING = 'pos_emb';
export const FINAL_NORM = 'ln_f';
export const HEAD = 'head';

/** `blocks.{index}`: the prefix of block `index`'s names and the name of its output. */
export function blockName(index: number): string {
  return `blocks.${index}`;
}

/** The value block `index` reads: the previous block's output, or the embeddings. */
export function blockInputName(index: number): string {
  return index === 0 ? EMBED : blockName(index - 1);
}

/** Attention probabilities of a block, [batch, heads, seq, seq] (after masking and softmax). */
export function attentionProbsName(index: number): string {
  return `${blockName(index)}.attn.probs`;
}

/** The block index a node, value or parameter name belongs to, or undefined outside blocks. */
export function blockIndexOf(name: string): number | undefined {
  const match = /^blocks\.(0|[1-9][0-9]*)(\.|$)/.exec(name);
  return match ? Number(match[1]) : undefined;
}
