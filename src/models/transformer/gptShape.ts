/**
 * Recognising a retort-built GPT (models/gpt.ts) in any ModelProto, after training, export or
 * structured pruning (heads, MLP width or whole blocks removed, src/prune/structured/transformer/):
 * the sizes are read from the weights' shapes, never from a spec string, and the model counts as a
 * GPT only when the builder, re-run on those sizes around the model's own weights, emits the same
 * graph node for node (names, ops, attributes, wiring and constants; Dropout, the identity at
 * inference, is looked through). Anything else — a PyTorch export, a quantized or factorized model,
 * an edited graph — is reported as not a GPT with the first difference found, so callers can fall
 * back to running the model as it is.
 */
import { DataType } from '../../onnx/dtype.js';
import { Graph } from '../../onnx/graph.js';
import { int64ToNumber, type ModelProto } from '../../onnx/proto.js';
import { structuralDifference } from '../../onnx/structure.js';
import { readTensor, tensorDims } from '../../onnx/tensor.js';
import { isRetortError, RetortError } from '../../util/errors.js';
import { OPSET } from '../builder.js';
import { gptForward, type GptBlockShape, type GptShape } from '../gpt.js';
import { tensorInfo } from './layers.js';
import { BATCH_DIM, blockName, INPUT_IDS, LOGITS, POSITION_EMBEDDING, SEQUENCE_DIM, TOKEN_EMBEDDING } from './names.js';
import { ReusedWeightsGraph } from './reusedWeights.js';

const notGpt = (why: string): RetortError => new RetortError('GRAPH_INVALID', why);

/** A 2-D initializer's dims, or an error naming it. */
function matrixDims(graph: Graph, name: string): [number, number] {
  const tensor = graph.initializer(name);
  if (!tensor) throw notGpt(`no initializer "${name}"`);
  const dims = tensorDims(tensor);
  if (dims.length !== 2) throw notGpt(`"${name}" has dims [${dims.join(', ')}], not a matrix`);
  return dims as [number, number];
}

/** One block's sizes: d_head from its head-split shape [0, 0, -1, d_head], heads from q's width, MLP width from fc1's. */
function blockShape(graph: Graph, index: number): GptBlockShape {
  const prefix = blockName(index);
  const split = graph.initializer(`${prefix}.attn.split_heads_shape`);
  const splitValues = split ? Array.from(readTensor(split), Number) : [];
  const headDim = splitValues[3] ?? 0;
  if (splitValues.length !== 4 || !(headDim > 0)) throw notGpt(`${prefix}: no head-split shape [0, 0, -1, d_head] ("${prefix}.attn.split_heads_shape")`);
  const [, width] = matrixDims(graph, `${prefix}.attn.q.weight`);
  if (width % headDim !== 0) throw notGpt(`${prefix}: q's width ${width} is not whole heads of ${headDim}`);
  const [, mlpWidth] = matrixDims(graph, `${prefix}.mlp.fc1.weight`);
  return { index, heads: width / headDim, headDim, mlpWidth };
}

/** The sizes of a GPT as its weights state them; an error when the weights are not where the builder puts them. */
export function readGptShape(model: ModelProto): GptShape {
  const graph = new Graph(model.graph!);
  const [vocabSize, dim] = matrixDims(graph, `${TOKEN_EMBEDDING}.weight`);
  const [context] = matrixDims(graph, `${POSITION_EMBEDDING}.weight`);
  const indices = new Set<number>();
  for (const tensor of graph.proto.initializer) {
    const match = /^blocks\.(0|[1-9][0-9]*)\.ln1\.weight$/.exec(tensor.name);
    if (match) indices.add(Number(match[1]));
  }
  if (indices.size === 0) throw notGpt('no transformer blocks (blocks.N.ln1.weight)');
  const blocks = [...indices].sort((a, b) => a - b).map((index) => blockShape(graph, index));
  return { dim, context, vocabSize, tiedHead: !graph.initializer('head.weight'), dropout: 0, blocks };
}

export type GptRecognition = { shape: GptShape } | { reason: string };

/** The model's GPT shape when it is exactly what buildGpt emits for that shape, else why not. */
export function recogniseGpt(model: ModelProto): GptRecognition {
  try {
    const entry = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
    const opset = entry ? int64ToNumber(entry.version) : 1;
    if (opset < OPSET) return { reason: `it imports ONNX opset ${opset}; retort's GPT needs ${OPSET} or later` };
    const shape = readGptShape(model);
    const t = new ReusedWeightsGraph('gpt', [tensorInfo(INPUT_IDS, DataType.INT64, [BATCH_DIM, SEQUENCE_DIM])], new Graph(model.graph!));
    gptForward(t, shape);
    t.graph.proto.output.push(tensorInfo(LOGITS, DataType.FLOAT, [BATCH_DIM, SEQUENCE_DIM, shape.vocabSize]));
    const difference = structuralDifference(t.graph.proto, model.graph!);
    return difference ? { reason: difference } : { shape };
  } catch (e) {
    if (isRetortError(e) && e.code === 'GRAPH_INVALID') return { reason: e.message };
    throw e;
  }
}
