/**
 * Multi-head attention found by its graph pattern, not by names (Vaswani et al. 2017):
 *
 *   x ─► MatMul W_q (+ b_q) (· scale) ─► Reshape [B,T,H,D] ─► Transpose ─► q [B,H,T,D] ─┐
 *   x ─► MatMul W_k (+ b_k)           ─► Reshape [B,T,H,D] ─► Transpose ─► kᵀ [B,H,D,T] ┴► MatMul ─► (scale,
 *        mask: Div/Mul/Where/Add) ─► Softmax(last axis) ─► (Dropout) ─► MatMul with v [B,H,T,D] ─► Transpose
 *        ─► Reshape [B,T,H·D] ─► MatMul W_o
 *
 * The three projections may be one fused MatMul followed by a Split of its last axis (PyTorch's
 * `qkv` Linear, GPT-2's `c_attn`), weights may be read through Transpose(1,0) (an exported
 * nn.Linear), and the head split's shape may be a constant ([0,0,-1,d_head], retort's builders) or
 * computed from Shape/Concat (PyTorch's `view(B, T, n_head, -1)`). Each match records what a head
 * owns: d_head consecutive output units of each of q, k and v (and their biases) and d_head input
 * rows of the output projection. Score terms that differ per head (ALiBi, relative position biases)
 * are refused rather than sliced.
 */
import { attrInt, attrInts } from '../../../onnx/attributes.js';
import { Graph } from '../../../onnx/graph.js';
import type { ModelProto, NodeProto } from '../../../onnx/proto.js';
import type { ValueShape } from '../../../runtime/shapeInference.js';
import { RetortError } from '../../../util/errors.js';
import type { CouplingContext } from '../coupling.js';
import { contextFor } from '../dependencies.js';

export type ProjectionRole = 'query' | 'key' | 'value';

/** One of q, k, v: where its heads' units live in a weight (and bias) and how they reach the head split. */
export interface HeadProjection {
  role: ProjectionRole;
  /** The 2-D weight; `transposed` when stored [out, in] and read through Transpose(1,0). */
  weight: string;
  transposed: boolean;
  /** Start of this projection's H·D units on the weight's output axis (q, k, v fused in one weight). */
  offset: number;
  bias?: { parameter: string; offset: number };
  /** Output of the Reshape that splits the heads (identifies the node). */
  splitHeads: string;
  /** An output of the Split that separates a fused q/k/v projection. */
  fusedSplit?: string;
}

export interface AttentionHeads {
  heads: number;
  headDim: number;
  projections: readonly HeadProjection[];
  /** The output projection, whose input rows h·D .. (h+1)·D - 1 read head h. */
  output: { weight: string; transposed: boolean };
  /** Output of the Reshape that merges the heads back to [B, T, H·D]. */
  mergeHeads: string;
  /** Attention probabilities [B, H, T, T] (the Softmax output). */
  probs: string;
  /** Per-head attention output, probs · v: [B, H, T, D]. */
  context: string;
  /** Node names of the pattern (the Softmax first), to place it in a residual branch. */
  nodes: string[];
  /** Values whose head axis shrinks with the heads (declared shapes to forget). */
  values: string[];
}

/** Why a 4-D Softmax is not recognised as attention (for the error when nothing is). */
export interface AttentionRejection {
  softmax: string;
  reason: string;
}

/** Ops that hand on their first input unchanged at inference. */
const PASS_THROUGH = new Set(['Identity', 'Dropout']);
/** Ops that may scale by a one-element operand without telling heads apart. */
const SCALING = new Set(['Mul', 'Div']);
/** Ops allowed between q·kᵀ and the Softmax: scaling, masking, additive biases. */
const SCORE_OPS = new Set(['Add', 'Sub', 'Mul', 'Div', 'Where', 'Identity', 'Cast']);
const SCORE_SEARCH_DEPTH = 8;

class Rejected extends Error {}
const reject = (reason: string): never => {
  throw new Rejected(reason);
};

interface Matcher extends Omit<CouplingContext, 'channels'> {
  dims(value: string): readonly number[];
}

const elementCount = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);
const label = (node: NodeProto): string => `${node.opType} "${node.name || node.output[0]}"`;

/** The data operand of a node that passes or scales it (the other operand has one element), or undefined. */
function carriedInput(node: NodeProto, m: Matcher): string | undefined {
  if (PASS_THROUGH.has(node.opType)) return node.input[0];
  if (!SCALING.has(node.opType) || node.input.length !== 2) return undefined;
  const [a, b] = node.input as [string, string];
  // Div scales only its numerator.
  if (elementCount(m.dims(b)) === 1) return a;
  if (node.opType === 'Mul' && elementCount(m.dims(a)) === 1) return b;
  return undefined;
}

/** Consumers of `value` other than `next` and shape queries (which read dims the caller keeps valid). */
function checkSoleUse(value: string, next: NodeProto, m: Matcher): void {
  const others = m.graph.consumersOf(value).filter((n) => n !== next && n.opType !== 'Shape');
  if (others.length > 0 || m.graph.isGraphOutput(value)) {
    reject(`"${value}" is also read by ${others.length > 0 ? label(others[0]!) : 'the graph output'}`);
  }
}

/**
 * Back from a 4-D operand of the attention products to its projection. `layout` is where the split's
 * [B, T, H, D] axes must sit in the operand: q and v [B, H, T, D], kᵀ [B, H, D, T].
 */
function traceProjection(operand: string, role: ProjectionRole, m: Matcher, values: string[]): { projection: HeadProjection; heads: number; headDim: number } {
  const layout = role === 'key' ? [0, 2, 3, 1] : [0, 2, 1, 3];
  let value = operand;
  // axisOf[j]: which axis of the current value the operand's axis j comes from.
  let axisOf = [0, 1, 2, 3];
  let node = m.graph.producerOf(value);
  while (node && node.opType !== 'Reshape') {
    const carried = carriedInput(node, m);
    if (node.opType === 'Transpose') {
      const perm = attrInts(node, 'perm') ?? [3, 2, 1, 0];
      axisOf = axisOf.map((a) => perm[a]!);
      value = node.input[0]!;
    } else if (carried) {
      value = carried;
    } else {
      reject(`${role}: ${label(node)} lies between the head split and the attention product`);
    }
    checkSoleUse(value, node, m);
    values.push(value);
    node = m.graph.producerOf(value);
  }
  if (!node) return reject(`${role}: "${value}" is not computed from a projection`);
  const split = node;
  if (attrInt(split, 'allowzero', 0) === 1) reject(`${role}: ${label(split)} has allowzero=1`);
  const inDims = m.dims(split.input[0]!);
  const outDims = m.dims(split.output[0]!);
  if (inDims.length !== 3 || outDims.length !== 4 || inDims[0] !== outDims[0] || inDims[1] !== outDims[1] || outDims[2]! * outDims[3]! !== inDims[2]) {
    reject(`${role}: ${label(split)} reshapes [${inDims.join(',')}] to [${outDims.join(',')}], not [B, T, H·D] to [B, T, H, D]`);
  }
  if (axisOf.some((a, j) => a !== layout[j])) {
    reject(`${role}: the heads reach the attention product as axes [${axisOf.join(',')}] of the split [B, T, H, D], expected [${layout.join(',')}]`);
  }
  const [heads, headDim] = [outDims[2]!, outDims[3]!];
  const projection: Partial<HeadProjection> & { role: ProjectionRole; splitHeads: string } = { role, splitHeads: split.output[0]! };
  let offset = 0;
  value = split.input[0]!;
  let consumer = split;
  for (;;) {
    checkSoleUse(value, consumer, m);
    values.push(value);
    const producer = m.graph.producerOf(value);
    if (!producer) return reject(`${role}: "${value}" is not computed from a projection`);
    const carried = carriedInput(producer, m);
    if (carried) {
      value = carried;
    } else if (producer.opType === 'Add' && !projection.bias) {
      const bias = producer.input.find((i) => m.isParameter(i) && m.dims(i).length === 1);
      const data = producer.input.find((i) => i !== bias);
      if (!bias || !data || m.dims(bias)[0] !== m.dims(producer.output[0]!).at(-1)) reject(`${role}: ${label(producer)} adds no bias vector`);
      projection.bias = { parameter: bias!, offset };
      value = data!;
    } else if (producer.opType === 'Split' && projection.fusedSplit === undefined) {
      const rank = m.dims(producer.input[0]!).length;
      const axis = attrInt(producer, 'axis', 0);
      if ((axis + rank) % rank !== rank - 1) reject(`${role}: ${label(producer)} splits axis ${axis}, not the last`);
      const index = producer.output.indexOf(value);
      offset += producer.output.slice(0, index).reduce((sum, o) => sum + m.dims(o).at(-1)!, 0);
      projection.fusedSplit = value;
      value = producer.input[0]!;
    } else if (producer.opType === 'MatMul') {
      const weight = m.weightOf(producer.input[1]!);
      if (!weight) reject(`${role}: ${label(producer)} has no 2-D weight`);
      return { projection: { ...projection, weight: weight!.parameter, transposed: weight!.transposed, offset } as HeadProjection, heads, headDim };
    } else {
      reject(`${role}: ${label(producer)} lies between the projection and the head split`);
    }
    consumer = producer;
  }
}

/** The q·kᵀ MatMul behind the Softmax's input, through scaling and masking ops, and the nodes on the way. */
function findScores(value: string, m: Matcher, depth = 0): NodeProto[] | undefined {
  const node = m.graph.producerOf(value);
  if (!node || depth > SCORE_SEARCH_DEPTH) return undefined;
  if (node.opType === 'MatMul') {
    const computed = node.input.every((i) => !m.isParameter(i) && m.graph.producerOf(i) && m.dims(i).length === 4);
    return computed ? [node] : undefined;
  }
  if (!SCORE_OPS.has(node.opType)) return undefined;
  for (const input of node.input) {
    if (!input || m.dims(input).length !== 4) continue;
    const path = findScores(input, m, depth + 1);
    if (path) return [...path, node];
  }
  return undefined;
}

/** Forward from the per-head output [B, H, T, D] to the head merge and the output projection. */
function traceOutput(context: string, heads: number, headDim: number, m: Matcher, values: string[]): { output: AttentionHeads['output']; mergeHeads: string } {
  let labels = ['batch', 'head', 'seq', 'dim'];
  let value = context;
  for (;;) {
    const consumers = m.graph.consumersOf(value).filter((n) => n.opType !== 'Shape');
    if (consumers.length !== 1 || m.graph.isGraphOutput(value)) reject(`the attention output "${value}" has ${consumers.length} readers, expected the head merge only`);
    const node = consumers[0]!;
    if (node.opType === 'Reshape') {
      const dims = m.dims(node.output[0]!);
      if (labels.join() !== 'batch,seq,head,dim' || dims.length !== 3 || dims[2] !== heads * headDim) {
        reject(`${label(node)} merges axes [${labels.join(', ')}] into [${dims.join(',')}], not [B, T, H·D] from [B, T, H, D]`);
      }
      value = node.output[0]!;
      const mergeHeads = value;
      for (;;) {
        const readers = m.graph.consumersOf(value);
        if (readers.length !== 1 || m.graph.isGraphOutput(value)) reject(`the merged heads "${value}" have ${readers.length} readers, expected the output projection only`);
        const reader = readers[0]!;
        if (PASS_THROUGH.has(reader.opType)) {
          value = reader.output[0]!;
          continue;
        }
        const weight = reader.opType === 'MatMul' && reader.input[0] === value ? m.weightOf(reader.input[1]!) : undefined;
        if (!weight) reject(`the merged heads reach ${label(reader)}, not a MatMul with a 2-D weight`);
        const rows = m.dims(weight!.parameter)[weight!.transposed ? 1 : 0];
        if (rows !== heads * headDim) reject(`output projection "${weight!.parameter}" reads ${rows} inputs, not H·D = ${heads * headDim}`);
        return { output: { weight: weight!.parameter, transposed: weight!.transposed }, mergeHeads };
      }
    }
    if (node.opType === 'Transpose') {
      const perm = attrInts(node, 'perm') ?? [3, 2, 1, 0];
      labels = perm.map((p) => labels[p]!);
    } else if (carriedInput(node, m) !== value) {
      reject(`${label(node)} lies between the attention output and the head merge`);
    }
    value = node.output[0]!;
    values.push(value);
  }
}

function matchAttention(softmax: NodeProto, m: Matcher): AttentionHeads {
  const values: string[] = [];
  // probs · v: the Softmax output (through Dropout) is the left operand of a MatMul.
  let probs = softmax.output[0]!;
  let reader = m.graph.consumersOf(probs)[0];
  while (reader && PASS_THROUGH.has(reader.opType) && m.graph.consumersOf(probs).length === 1) {
    values.push(probs);
    probs = reader.output[0]!;
    reader = m.graph.consumersOf(probs)[0];
  }
  const attend = m.graph.consumersOf(probs).find((n) => n.opType === 'MatMul' && n.input[0] === probs);
  if (!attend) return reject('its output is not multiplied by values (no MatMul reads it as the left operand)');
  const path = findScores(softmax.input[0]!, m);
  if (!path) return reject(`no q·kᵀ MatMul of two computed 4-D tensors within ${SCORE_SEARCH_DEPTH} scaling/masking ops before it`);
  const scores = path[0]!;
  const q = traceProjection(scores.input[0]!, 'query', m, values);
  const k = traceProjection(scores.input[1]!, 'key', m, values);
  const v = traceProjection(attend.input[1]!, 'value', m, values);
  const { heads, headDim } = q;
  for (const other of [k, v]) {
    if (other.heads !== heads || other.headDim !== headDim) {
      reject(`${other.projection.role} has ${other.heads} heads of ${other.headDim}, query ${heads} of ${headDim}`);
    }
  }
  // A per-head score term (ALiBi slopes, relative position biases [1, H, T, T]) would need slicing too.
  for (const node of path.slice(1)) {
    for (const input of node.input) {
      if (!input || path.some((p) => p.output.includes(input))) continue;
      const dims = m.dims(input);
      if (heads > 1 && dims.length >= 3 && dims[dims.length - 3] === heads) reject(`${label(node)} adds "${input}", which differs per head`);
    }
  }
  const context = attend.output[0]!;
  values.push(softmax.input[0]!, softmax.output[0]!, probs, context, ...path.map((n) => n.output[0]!));
  const { output, mergeHeads } = traceOutput(context, heads, headDim, m, values);
  return {
    heads,
    headDim,
    projections: [q.projection, k.projection, v.projection],
    output,
    mergeHeads,
    probs: softmax.output[0]!,
    context,
    nodes: [softmax.name, scores.name, attend.name],
    values: [...new Set(values)],
  };
}

/** Every attention pattern of the model in topological order, and why each other 4-D Softmax is not one. */
export function findAttention(model: ModelProto, shapes: ReadonlyMap<string, ValueShape>): { attention: AttentionHeads[]; rejected: AttentionRejection[] } {
  const graph = new Graph(model.graph!);
  const base = contextFor(graph, shapes);
  const m: Matcher = { ...base, dims: (value) => base.shapeOf(value) };
  const attention: AttentionHeads[] = [];
  const rejected: AttentionRejection[] = [];
  for (const node of graph.topologicalOrder()) {
    if (node.opType !== 'Softmax' || node.domain) continue;
    const rank = m.dims(node.input[0]!).length;
    const axis = attrInt(node, 'axis', -1);
    if (rank !== 4 || (axis + rank) % rank !== 3) continue;
    try {
      attention.push(matchAttention(node, m));
    } catch (error) {
      if (!(error instanceof Rejected)) throw error;
      rejected.push({ softmax: node.name || node.output[0]!, reason: error.message });
    }
  }
  return { attention, rejected };
}

/** The attention patterns, or an error saying why none was recognised. */
export function requireAttention(model: ModelProto, shapes: ReadonlyMap<string, ValueShape>): AttentionHeads[] {
  const { attention, rejected } = findAttention(model, shapes);
  if (attention.length > 0) return attention;
  const why = rejected.length > 0
    ? rejected.map((r) => `Softmax "${r.softmax}": ${r.reason}`).join('; ')
    : 'the graph has no Softmax over the last axis of a 4-D [batch, heads, seq, seq] tensor';
  throw new RetortError('GRAPH_INVALID', `No multi-head attention recognised in "${model.graph?.name ?? 'the model'}" (q/k/v projections split into heads by Reshape, softmax(q·kᵀ)·v, heads merged and projected): ${why}`);
}
