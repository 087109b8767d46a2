/**
 * A GPT-style decoder-only language model (Radford et al. 2018, 2019), as nanoGPT writes GPT-2:
 * token + learned position embeddings, pre-LayerNorm blocks with causal multi-head self-attention and
 * a GELU MLP, a final LayerNorm, and a linear head to the vocabulary (tied to the token embedding or
 * not, Press & Wolf 2017). Input `input_ids` int64 [batch, seq] with seq up to the context; output
 * `logits` float [batch, seq, vocab]. Value names follow transformer/names.ts.
 *
 * Initialization is GPT-2's: every weight N(0, 0.02²), biases 0, LayerNorm 1 and 0, and the two
 * projections that write into the residual stream (attention out, fc2) N(0, (0.02/√(2·layers))²), "to
 * account for the accumulation on the residual path with model depth" (Radford et al. 2019, §2.3).
 */
import { DataType } from '../onnx/dtype.js';
import type { ModelProto } from '../onnx/proto.js';
import type { AttentionCache } from './transformer/attention.js';
import { transformerBlock } from './transformer/block.js';
import { describeSize, finishModel, resolveSize, type TransformerSize } from './transformer/config.js';
import { causalMask, positionIds, tokenAndPositionEmbedding } from './transformer/embeddings.js';
import { tensorInfo, TransformerGraph } from './transformer/layers.js';
import { BATCH_DIM, EMBED, FINAL_NORM, HEAD, INPUT_IDS, LOGITS, SEQUENCE_DIM, TOKEN_EMBEDDING } from './transformer/names.js';

/** GPT-2's initializer range. */
export const GPT_INIT_STD = 0.02;
/** GPT-2's (and PyTorch's default) LayerNorm epsilon. */
export const GPT_LAYER_NORM_EPSILON = 1e-5;

export interface GptOptions extends TransformerSize {
  /** The head reads the token embedding table transposed instead of its own weight. */
  tiedHead?: boolean;
  seed: number;
}

/** One block's sizes. After structured pruning they differ per block and some blocks are gone, so they are read from the weights (transformer/gptShape.ts). */
export interface GptBlockShape {
  /** The block's name index (`blocks.{index}`); dropped blocks leave gaps. */
  index: number;
  heads: number;
  headDim: number;
  mlpWidth: number;
}

/** Everything that sizes a GPT graph. */
export interface GptShape {
  dim: number;
  context: number;
  vocabSize: number;
  tiedHead: boolean;
  dropout: number;
  blocks: readonly GptBlockShape[];
}

/** What the layers read besides the token ids: position ids, the boolean attention mask, and in a decode step each block's key/value cache. */
export interface GptWiring {
  positions: string;
  mask: string;
  /** The cache of the `layer`-th block (0-based over `blocks`, gaps left out). */
  cache?: (layer: number) => AttentionCache;
}

export function buildGpt(options: GptOptions): ModelProto {
  const size = resolveSize('GPT', options);
  const tied = options.tiedHead ?? false;
  const t = new TransformerGraph('gpt', [tensorInfo(INPUT_IDS, DataType.INT64, [BATCH_DIM, SEQUENCE_DIM])], options.seed);
  const blocks = Array.from({ length: size.layers }, (_, index) => ({ index, heads: size.heads, headDim: size.dim / size.heads, mlpWidth: size.mlpWidth }));
  gptForward(t, { dim: size.dim, context: size.context, vocabSize: size.vocabSize, tiedHead: tied, dropout: size.dropout, blocks });
  const doc = `GPT decoder: ${describeSize(size)}, ${tied ? 'tied' : 'untied'} head`;
  return finishModel(t, [tensorInfo(LOGITS, DataType.FLOAT, [BATCH_DIM, SEQUENCE_DIM, size.vocabSize])], doc);
}

/** The whole forward graph on `input_ids` [batch, seq]: positions 0..seq-1, the causal mask, and the layers. */
export function gptForward(t: TransformerGraph, shape: GptShape): void {
  const positions = positionIds(t, INPUT_IDS);
  gptLayers(t, shape, { positions, mask: causalMask(t, positions) });
}

/** Embeddings, blocks, final LayerNorm and head on `input_ids`, writing `logits`; parameters are drawn (or, in a TransformerGraph that reuses weights, looked up) in this order. */
export function gptLayers(t: TransformerGraph, shape: GptShape, wiring: GptWiring): void {
  const { dim, context, vocabSize, dropout, blocks } = shape;
  const summed = tokenAndPositionEmbedding(t, INPUT_IDS, wiring.positions, { vocabSize, context, dim, std: GPT_INIT_STD }, dropout > 0 ? 'embed.sum' : EMBED);
  let x = dropout > 0 ? t.dropout('embed.dropout', summed, dropout, EMBED) : summed;

  const residualStd = GPT_INIT_STD / Math.sqrt(2 * blocks.length);
  blocks.forEach((block, layer) => {
    x = transformerBlock(t, block.index, x, {
      dim,
      heads: block.heads,
      headDim: block.headDim,
      mlpWidth: block.mlpWidth,
      dropout,
      norm: 'pre',
      epsilon: GPT_LAYER_NORM_EPSILON,
      mask: wiring.mask,
      weightStd: GPT_INIT_STD,
      residualStd,
      cache: wiring.cache?.(layer),
    });
  });
  x = t.layerNorm(FINAL_NORM, x, dim, GPT_LAYER_NORM_EPSILON);
  // GPT-2's head has no bias. Tied: logits = x · tok_embᵀ.
  const headWeight = shape.tiedHead
    ? t.node('Transpose', `${HEAD}.tied_weight`, [`${TOKEN_EMBEDDING}.weight`], { perm: [1, 0] })
    : t.parameter(`${HEAD}.weight`, [dim, vocabSize], { std: GPT_INIT_STD });
  t.node('MatMul', HEAD, [x, headWeight], undefined, LOGITS);
}
