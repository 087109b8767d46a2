/**
 * A BERT-style encoder with a sequence-classification head (Devlin et al. 2019): token + learned
 * position embeddings, bidirectional multi-head self-attention blocks, and BERT's pooler (the [CLS]
 * position, i.e. position 0, through a dense layer and tanh) followed by a linear classifier.
 * Input `input_ids` int64 [batch, seq] (and, with `attentionMask`, `attention_mask` int64 [batch,
 * seq], 1 for tokens and 0 for padding); output `logits` float [batch, classes].
 *
 * Blocks are post-LN by default, as in BERT: embeddings → LayerNorm, and each block
 * ln1(x + attn(x)), ln2(· + mlp(·)). `norm: 'pre'` gives GPT-2-style pre-LN blocks with a final
 * `ln_f` instead of the embedding LayerNorm. No token-type (segment) embeddings: one segment.
 * Initialization is BERT's: weights and embeddings N(0, 0.02²), biases 0, LayerNorm 1 and 0.
 */
import { DataType } from '../onnx/dtype.js';
import type { ModelProto } from '../onnx/proto.js';
import { checkPositiveInteger } from './builder.js';
import { transformerBlock, type NormPlacement } from './transformer/block.js';
import { describeSize, finishModel, resolveSize, type TransformerSize } from './transformer/config.js';
import { paddingMask, positionIds, tokenAndPositionEmbedding } from './transformer/embeddings.js';
import { tensorInfo, TransformerGraph } from './transformer/layers.js';
import { ATTENTION_MASK, BATCH_DIM, EMBED, FINAL_NORM, INPUT_IDS, LOGITS, SEQUENCE_DIM } from './transformer/names.js';

/** BERT's initializer_range. */
export const BERT_INIT_STD = 0.02;
/** BERT's LayerNorm epsilon. */
export const BERT_LAYER_NORM_EPSILON = 1e-12;

export interface BertOptions extends TransformerSize {
  numClasses: number;
  /** 'post' (default, BERT) or 'pre' (GPT-2-style blocks, final LayerNorm). */
  norm?: NormPlacement;
  /** Add the `attention_mask` input; without it every position attends to every other. */
  attentionMask?: boolean;
  seed: number;
}

export function buildBert(options: BertOptions): ModelProto {
  const size = resolveSize('BERT', options);
  const { layers, dim, context, vocabSize, dropout } = size;
  const { numClasses, norm = 'post', attentionMask = false } = options;
  checkPositiveInteger('BERT number of classes', numClasses);
  const inputs = [tensorInfo(INPUT_IDS, DataType.INT64, [BATCH_DIM, SEQUENCE_DIM])];
  if (attentionMask) inputs.push(tensorInfo(ATTENTION_MASK, DataType.INT64, [BATCH_DIM, SEQUENCE_DIM]));
  const t = new TransformerGraph('bert', inputs, options.seed);
  const epsilon = BERT_LAYER_NORM_EPSILON;

  const positions = positionIds(t, INPUT_IDS);
  const mask = attentionMask ? paddingMask(t, ATTENTION_MASK) : undefined;
  // The value names leading to `embed` depend on which of LayerNorm and dropout are present.
  let x = tokenAndPositionEmbedding(t, INPUT_IDS, positions, { vocabSize, context, dim, std: BERT_INIT_STD }, norm === 'post' || dropout > 0 ? 'embed.sum' : EMBED);
  if (norm === 'post') x = t.layerNorm('embed.ln', x, dim, epsilon, dropout > 0 ? 'embed.ln' : EMBED);
  if (dropout > 0) x = t.dropout('embed.dropout', x, dropout, EMBED);

  for (let i = 0; i < layers; i++) {
    x = transformerBlock(t, i, x, { dim, heads: size.heads, mlpWidth: size.mlpWidth, dropout, norm, epsilon, mask, weightStd: BERT_INIT_STD, residualStd: BERT_INIT_STD });
  }
  if (norm === 'pre') x = t.layerNorm(FINAL_NORM, x, dim, epsilon);

  // Pooler: the first position's hidden state ([CLS] when the tokenizer puts one there).
  const first = t.node('Slice', 'pooler.first', [x, t.constant('pooler.first.starts', [0], 'int64'), t.constant('pooler.first.ends', [1], 'int64'), t.constant('pooler.first.axes', [1], 'int64')]);
  const cls = t.node('Squeeze', 'pooler.cls', [first, t.constant('pooler.cls.axes', [1], 'int64')]); // [batch, dim]
  const pooled = t.node('Tanh', 'pooler', [t.gemm('pooler.dense', cls, dim, dim, BERT_INIT_STD)]);
  t.gemm('classifier', t.maybeDropout('classifier.dropout', pooled, dropout), dim, numClasses, BERT_INIT_STD, LOGITS);

  const doc = `BERT encoder: ${describeSize(size)}, ${norm}-LN, ${numClasses} classes${attentionMask ? ', attention mask input' : ''}`;
  return finishModel(t, [tensorInfo(LOGITS, DataType.FLOAT, [BATCH_DIM, numClasses])], doc);
}
