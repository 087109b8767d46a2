/**
 * One transformer block: self-attention and a GELU MLP, each inside a residual connection, with layer
 * normalization either before each sublayer (pre-LN: GPT-2, Radford et al. 2019; Xiong et al. 2020
 * show it trains without warm-up) or after each residual sum (post-LN: the original Transformer and
 * BERT). Names: `blocks.i.ln1`, `blocks.i.attn.*`, `blocks.i.ln2`, `blocks.i.mlp.fc1|gelu|fc2`, and
 * the block's output `blocks.i`.
 */
import { selfAttention, type AttentionCache } from './attention.js';
import type { TransformerGraph } from './layers.js';
import { blockName } from './names.js';

export type NormPlacement = 'pre' | 'post';

export interface BlockOptions {
  dim: number;
  heads: number;
  /** Width of one head; default dim / heads. */
  headDim?: number;
  /** Hidden width of the MLP (4·dim in GPT-2 and BERT). */
  mlpWidth: number;
  /** Dropout on attention probabilities and on each sublayer's output before its residual sum. */
  dropout: number;
  norm: NormPlacement;
  /** LayerNorm epsilon. */
  epsilon: number;
  /** Boolean attention mask (true = masked), shared by all blocks. */
  mask?: string;
  /** Std of the weights that read the residual stream (q, k, v, fc1). */
  weightStd: number;
  /** Std of the weights that write into the residual stream (attention out, fc2). */
  residualStd: number;
  /** The attention's key/value cache in a decode step (transformer/decodeStep.ts). */
  cache?: AttentionCache;
}

/** fc1 → GELU → fc2 on x [batch, seq, dim]. */
function mlp(t: TransformerGraph, name: string, x: string, options: BlockOptions): string {
  const hidden = t.linear(`${name}.fc1`, x, options.dim, options.mlpWidth, options.weightStd);
  return t.linear(`${name}.fc2`, t.gelu(`${name}.gelu`, hidden), options.mlpWidth, options.dim, options.residualStd);
}

/** Block `index` on x [batch, seq, dim]; returns its output `blocks.{index}`. */
export function transformerBlock(t: TransformerGraph, index: number, x: string, options: BlockOptions): string {
  const name = blockName(index);
  const { dim, dropout, epsilon } = options;
  const attention = (input: string): string => {
    const out = selfAttention(t, `${name}.attn`, input, {
      dim,
      heads: options.heads,
      headDim: options.headDim,
      mask: options.mask,
      dropout,
      weightStd: options.weightStd,
      outputStd: options.residualStd,
      cache: options.cache,
    });
    return t.maybeDropout(`${name}.attn.resid_dropout`, out, dropout);
  };
  const feedForward = (input: string): string => t.maybeDropout(`${name}.mlp.dropout`, mlp(t, `${name}.mlp`, input, options), dropout);

  if (options.norm === 'pre') {
    // x + attn(ln1(x)), then + mlp(ln2(·)).
    const afterAttention = t.node('Add', `${name}.attn_residual`, [x, attention(t.layerNorm(`${name}.ln1`, x, dim, epsilon))]);
    return t.node('Add', name, [afterAttention, feedForward(t.layerNorm(`${name}.ln2`, afterAttention, dim, epsilon))]);
  }
  // ln1(x + attn(x)), then ln2(· + mlp(·)).
  const afterAttention = t.layerNorm(`${name}.ln1`, t.node('Add', `${name}.attn_residual`, [x, attention(x)]), dim, epsilon);
  const sum = t.node('Add', `${name}.mlp_residual`, [afterAttention, feedForward(afterAttention)]);
  return t.layerNorm(`${name}.ln2`, sum, dim, epsilon, name);
}
