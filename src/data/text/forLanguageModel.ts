/**
 * What a language model asks of its data, read from its declared I/O (the convention retort's GPT
 * builder and the PyTorch fixture follow): token ids int64 [batch, seq] in, logits [batch, seq,
 * vocab] out. The sequence axis is either fixed (a model exported at one length; shorter windows are
 * padded on the right, which a causal model's earlier positions do not see) or dynamic up to the
 * model's context, which the model's metadata states under `retort.context` when it is dynamic.
 */
import { DataType } from '../../onnx/dtype.js';
import { Graph } from '../../onnx/graph.js';
import type { ModelProto, TensorShapeDimension } from '../../onnx/proto.js';
import { RetortError } from '../../util/errors.js';

/** The metadata_props key a builder sets to the longest sequence a dynamic-length model takes. */
export const CONTEXT_METADATA_KEY = 'retort.context';

export interface LanguageModelIo {
  /** The token input and the logits output. */
  input: string;
  output: string;
  /** The input's sequence length when fixed, else null (any length up to `context`). */
  fixedLength: number | null;
  /** The longest window the model takes: the fixed length, the metadata's context, or null if unknown. */
  context: number | null;
  /** The logits' last axis when declared, else null. */
  vocabSize: number | null;
}

const staticDim = (d: TensorShapeDimension | undefined): number | null => {
  if (!d || d.dimParam || d.dimValue === undefined) return null;
  const n = Number(d.dimValue);
  return n > 0 ? n : null;
};

/** The model's language-model I/O, or a GRAPH_INVALID error saying what does not fit the convention. */
export function languageModelIo(model: ModelProto, source = 'the model'): LanguageModelIo {
  const graph = new Graph(model.graph!);
  const input = graph.dataInputs[0];
  const output = graph.outputs[0];
  const inputType = input?.type?.tensorType;
  if (!input || !output || inputType?.elemType !== DataType.INT64 || (inputType.shape && inputType.shape.dim.length !== 2)) {
    throw new RetortError('GRAPH_INVALID', `${source} is not a language model: its first input should be token ids, int64 [batch, seq]${input ? `; "${input.name}" is not` : ''}`);
  }
  const outputDims = output.type?.tensorType?.shape?.dim;
  if (outputDims && outputDims.length !== 3) {
    throw new RetortError('GRAPH_INVALID', `${source} is not a language model: its first output "${output.name}" should be logits [batch, seq, vocab], it has rank ${outputDims.length}`);
  }
  const fixedLength = staticDim(inputType.shape?.dim[1]);
  const stated = (model.metadataProps ?? []).find((p) => p.key === CONTEXT_METADATA_KEY)?.value;
  const metadataContext = stated !== undefined && /^[1-9][0-9]*$/.test(stated) ? Number(stated) : null;
  return { input: input.name, output: output.name, fixedLength, context: fixedLength ?? metadataContext, vocabSize: staticDim(outputDims?.[2]) };
}

/**
 * The window length to train or generate with: `requested` (checked against the model) or the
 * model's own context; an error when neither is known or they disagree.
 */
export function windowLength(io: LanguageModelIo, requested: number | null, source = 'the model'): number {
  if (requested !== null && !(Number.isInteger(requested) && requested > 0)) throw new RetortError('BAD_ARGUMENT', `Context ${requested} must be a positive integer`);
  if (io.fixedLength !== null && requested !== null && requested !== io.fixedLength) {
    throw new RetortError('BAD_ARGUMENT', `Context ${requested}: ${source} takes sequences of exactly ${io.fixedLength} tokens ("${io.input}")`);
  }
  if (io.context !== null && requested !== null && requested > io.context) {
    throw new RetortError('BAD_ARGUMENT', `Context ${requested}: ${source} takes at most ${io.context} tokens`);
  }
  const length = requested ?? io.context;
  if (length === null) {
    throw new RetortError('BAD_ARGUMENT', `${source} takes sequences of any length ("${io.input}" [batch, seq]) and states no context (metadata "${CONTEXT_METADATA_KEY}"); give the context length`);
  }
  return length;
}

/** A DATA_INVALID error when the tokenizer's ids would not fit the model's vocabulary. */
export function checkVocabulary(io: LanguageModelIo, tokenizerVocab: number, source = 'the model'): void {
  if (io.vocabSize !== null && tokenizerVocab > io.vocabSize) {
    throw new RetortError('DATA_INVALID', `The tokenizer has ${tokenizerVocab} tokens but ${source} predicts ${io.vocabSize} ("${io.output}" [batch, seq, ${io.vocabSize}])`);
  }
}

/**
 * A copy of `model` stating `context` in its metadata when its sequence axis is dynamic and it states
 * none yet (a model trained on windows of `context` tokens then generates with the same window).
 */
export function withContextMetadata(model: ModelProto, context: number): ModelProto {
  const io = languageModelIo(model);
  if (io.fixedLength !== null || io.context !== null) return model;
  return { ...model, metadataProps: [...(model.metadataProps ?? []), { key: CONTEXT_METADATA_KEY, value: String(context) }] };
}
