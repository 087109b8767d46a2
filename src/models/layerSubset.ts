/**
 * Student initialization from a subset of a teacher's layers, as DistilBERT does (Sanh et al. 2019,
 * §3: "we initialize the student from the teacher by taking one layer out of two"): the student is
 * the teacher with only the chosen blocks, in order, renumbered 0..k-1, and keeps the teacher's
 * embeddings, final LayerNorm and head. Each kept block computes exactly what it computed in the
 * teacher, on whatever its predecessor now hands it.
 *
 * Works on graphs that follow transformer/names.ts (the GPT and BERT builders' graphs): block i
 * consists of the nodes and parameters named `blocks.{i}…`, reads `blocks.{i-1}` (block 0 reads
 * `embed`) and values shared by all blocks, and nothing after the blocks reads any block value but
 * the last block's output.
 */
import { Graph } from '../onnx/graph.js';
import { newAttribute, newGraph, newModel, newNode, newValueInfo, type ModelProto, type NodeProto, type TensorProto } from '../onnx/proto.js';
import { makeTensor, readTensor, tensorDims } from '../onnx/tensor.js';
import { RetortError } from '../util/errors.js';
import { blockIndexOf, blockInputName, blockName } from './transformer/names.js';

/** The block a node belongs to (by its outputs), or undefined for nodes outside the blocks. */
function blockOfNode(node: NodeProto): number | undefined {
  const indices = new Set(node.output.filter((o) => o).map(blockIndexOf));
  if (indices.size !== 1) {
    throw new RetortError('GRAPH_INVALID', `Node "${node.name}" writes values of different blocks (${node.output.join(', ')}); layer subsets need one block per node`);
  }
  return [...indices][0];
}

/** Number of transformer blocks (`blocks.0` … `blocks.{n-1}`) in a model built with retort's naming. */
export function transformerLayerCount(model: ModelProto): number {
  const indices = new Set<number>();
  for (const node of model.graph!.node) {
    const index = blockOfNode(node);
    if (index !== undefined) indices.add(index);
  }
  const count = indices.size;
  for (let i = 0; i < count; i++) {
    if (!indices.has(i)) throw new RetortError('GRAPH_INVALID', `Model "${model.graph!.name}" has blocks ${[...indices].sort((a, b) => a - b).join(', ')}; block ${i} is missing`);
  }
  return count;
}

/** DistilBERT's choice: blocks 0, 2, 4, … of a teacher with `layers` blocks. */
export function everyOtherLayer(layers: number): number[] {
  return Array.from({ length: Math.ceil(layers / 2) }, (_, i) => 2 * i);
}

function copyTensor(tensor: TensorProto, name: string): TensorProto {
  // A copy, not the teacher's buffer: training the student writes its tensors.
  return makeTensor(name, tensorDims(tensor), readTensor(tensor), tensor.dataType);
}

/** Reject graphs where a block or the head reads values the layer subset would cut away. */
function checkWiring(graph: Graph, layers: number): void {
  for (const node of graph.nodes) {
    const block = blockOfNode(node);
    for (const input of node.input) {
      const source = blockIndexOf(input);
      if (!input || source === undefined || source === block) continue;
      const allowed = block === undefined ? input === blockName(layers - 1) : input === blockInputName(block);
      if (!allowed) {
        throw new RetortError('GRAPH_INVALID', `Node "${node.name}" (${block === undefined ? 'outside the blocks' : `block ${block}`}) reads "${input}" of block ${source}; a layer subset cannot keep that connection`);
      }
    }
  }
  for (const output of graph.outputs) {
    if (blockIndexOf(output.name) !== undefined) throw new RetortError('GRAPH_INVALID', `Graph output "${output.name}" is a block value; remove it before taking a layer subset`);
  }
}

/**
 * The student made of the teacher's blocks `layers` (ascending, each in 0..L-1), renumbered 0..k-1,
 * with the teacher's embeddings, final norm and head. The teacher is not modified.
 */
export function studentFromTeacherLayers(teacher: ModelProto, layers: readonly number[]): ModelProto {
  const graph = new Graph(teacher.graph!);
  const count = transformerLayerCount(teacher);
  if (count === 0) throw new RetortError('GRAPH_INVALID', `Model "${teacher.graph!.name}" has no transformer blocks (nodes named blocks.N…)`);
  if (layers.length === 0) throw new RetortError('BAD_ARGUMENT', `Choose at least one of the teacher's layers 0..${count - 1}`);
  layers.forEach((layer, j) => {
    if (!(Number.isInteger(layer) && layer >= 0 && layer < count)) throw new RetortError('BAD_ARGUMENT', `Layer ${layer}: the teacher has layers 0..${count - 1}`);
    if (j > 0 && layer <= layers[j - 1]!) throw new RetortError('BAD_ARGUMENT', `Layers [${layers.join(', ')}] must be ascending without repeats`);
  });
  checkWiring(graph, count);

  const studentOf = new Map(layers.map((layer, j) => [layer, j]));
  const lastTeacherOutput = blockName(count - 1);
  const lastStudentOutput = blockName(layers.length - 1);
  /** A name of teacher block i as the student's block j sees it. */
  const renameInBlock = (name: string, i: number, j: number): string => {
    if (name === blockInputName(i)) return blockInputName(j);
    return blockIndexOf(name) === i ? blockName(j) + name.slice(blockName(i).length) : name;
  };
  const rename = (name: string, block: number | undefined): string => {
    if (block !== undefined) return renameInBlock(name, block, studentOf.get(block)!);
    return name === lastTeacherOutput ? lastStudentOutput : name;
  };

  const nodes: NodeProto[] = [];
  for (const node of graph.nodes) {
    const block = blockOfNode(node);
    if (block !== undefined && !studentOf.has(block)) continue;
    nodes.push(newNode({
      ...node,
      name: rename(node.name, block),
      input: node.input.map((v) => (v ? rename(v, block) : v)),
      output: node.output.map((v) => rename(v, block)),
      // Constant nodes may hold weights: copied like initializers.
      attribute: node.attribute.map((a) => newAttribute({ ...a, ...(a.t ? { t: copyTensor(a.t, a.t.name) } : {}) })),
    }));
  }
  const initializer: TensorProto[] = [];
  for (const tensor of graph.proto.initializer) {
    const block = blockIndexOf(tensor.name);
    if (block !== undefined && !studentOf.has(block)) continue;
    initializer.push(copyTensor(tensor, rename(tensor.name, block)));
  }

  const g = teacher.graph!;
  const student = newGraph({
    ...g,
    name: g.name,
    node: nodes,
    initializer,
    input: g.input.map((i) => newValueInfo({ ...i })),
    output: g.output.map((o) => newValueInfo({ ...o })),
    valueInfo: g.valueInfo.filter((v) => blockIndexOf(v.name) === undefined).map((v) => newValueInfo({ ...v })),
  });
  new Graph(student).sortNodes();
  return newModel({
    ...teacher,
    graph: student,
    docString: `Layers [${layers.join(', ')}] of ${count}: ${teacher.docString ?? ''}`.trim(),
  });
}
