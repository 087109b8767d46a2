/** The size options every transformer builder takes, their checks, and the model wrapper. */
import type { ModelProto, ValueInfoProto } from '../../onnx/proto.js';
import { newModel } from '../../onnx/proto.js';
import { RetortError } from '../../util/errors.js';
import { checkPositiveInteger, IR_VERSION, OPSET } from '../builder.js';
import type { TransformerGraph } from './layers.js';

export interface TransformerSize {
  /** Number of blocks. */
  layers: number;
  /** Width of the residual stream (d_model). */
  dim: number;
  /** Attention heads; must divide dim. */
  heads: number;
  /** Longest sequence the position table covers. */
  context: number;
  vocabSize: number;
  /** MLP hidden width; default 4·dim. */
  mlpWidth?: number;
  /** Dropout ratio on embeddings, attention probabilities and sublayer outputs; 0 or absent for none. */
  dropout?: number;
}

/** The size with defaults filled in, or a BAD_ARGUMENT error naming the option. */
export function resolveSize(model: string, size: TransformerSize): Required<TransformerSize> {
  const { layers, dim, heads, context, vocabSize, mlpWidth = 4 * dim, dropout = 0 } = size;
  checkPositiveInteger(`${model} layers`, layers);
  checkPositiveInteger(`${model} dim`, dim);
  checkPositiveInteger(`${model} heads`, heads);
  checkPositiveInteger(`${model} context`, context);
  checkPositiveInteger(`${model} vocabulary size`, vocabSize);
  checkPositiveInteger(`${model} MLP width`, mlpWidth);
  if (dim % heads !== 0) throw new RetortError('BAD_ARGUMENT', `${model}: dim ${dim} is not divisible by heads ${heads}`);
  if (!(dropout >= 0 && dropout < 1)) throw new RetortError('BAD_ARGUMENT', `${model}: dropout ${dropout} must be in [0, 1)`);
  return { layers, dim, heads, context, vocabSize, mlpWidth, dropout };
}

/** Declare the outputs and wrap the graph in a ModelProto at retort's builder opset. */
export function finishModel(t: TransformerGraph, outputs: ValueInfoProto[], docString: string): ModelProto {
  t.graph.proto.output.push(...outputs);
  t.graph.touch();
  return newModel({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'retort',
    docString,
    graph: t.graph.proto,
  });
}

/** "4 layers, dim 128, 4 heads, context 128, vocabulary 65, MLP 512" for doc strings. */
export function describeSize(size: Required<TransformerSize>): string {
  const dropout = size.dropout > 0 ? `, dropout ${size.dropout}` : '';
  return `${size.layers} layers, dim ${size.dim}, ${size.heads} heads, context ${size.context}, vocabulary ${size.vocabSize}, MLP ${size.mlpWidth}${dropout}`;
}
