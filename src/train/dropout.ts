/**
 * Dropout for training graphs. ORT's Dropout draws from a generator held inside the kernel, which a
 * resumed run cannot restore; so each Dropout node becomes a Mul by a mask input, and the masks are
 * drawn per step from (seed, step, site) in seeds.ts. Exported inference models keep no dropout.
 */
import { attrFloat } from '../onnx/attributes.js';
import { DataType } from '../onnx/dtype.js';
import type { Graph } from '../onnx/graph.js';
import { newValueInfo, type ValueInfoProto } from '../onnx/proto.js';
import { constantValues } from '../autodiff/engine.js';
import { RetortError } from '../util/errors.js';

export interface DropoutSite {
  /** The Dropout node this mask replaces. */
  node: string;
  /** Graph input carrying the mask: 0 or 1 / (1 - ratio), the shape of the dropped tensor. */
  input: string;
  dims: number[];
  ratio: number;
}

/** Dropout's ratio: input 1 (opset 12+, a constant here) or the `ratio` attribute; default 0.5. */
export function dropoutRatio(graph: Graph, node: Graph['nodes'][number]): number {
  const ratioInput = node.input[1];
  if (ratioInput) {
    const values = constantValues(graph, ratioInput);
    if (!values || values.length !== 1) {
      throw new RetortError('GRAPH_INVALID', `Dropout "${node.name}": its ratio "${ratioInput}" must be a constant scalar to train`);
    }
    return values[0]!;
  }
  return attrFloat(node, 'ratio', 0.5);
}

/** Replace every Dropout by Mul(x, mask input); returns the sites and the new inputs' value infos. */
export function replaceDropoutWithMasks(
  graph: Graph,
  shapeOf: (value: string) => readonly number[],
): { sites: DropoutSite[]; inputs: ValueInfoProto[] } {
  const sites: DropoutSite[] = [];
  const inputs: ValueInfoProto[] = [];
  for (const node of graph.nodes.filter((n) => n.opType === 'Dropout' && !n.domain)) {
    if (node.output[1] && graph.consumersOf(node.output[1]).length > 0) {
      throw new RetortError('GRAPH_INVALID', `Dropout "${node.name}": its mask output "${node.output[1]}" is used; retort cannot train this graph`);
    }
    const ratio = dropoutRatio(graph, node);
    const dims = [...shapeOf(node.input[0]!)];
    const input = graph.uniqueName(`dropout_mask:${node.name || node.output[0]}`);
    const mul = graph.addNode({ opType: 'Mul', inputs: [node.input[0]!, input], outputs: [node.output[0]!], name: graph.uniqueName(`${node.name}/train`) });
    graph.removeNode(mul);
    graph.replaceNode(node, [mul]);
    sites.push({ node: node.name, input, dims, ratio });
    inputs.push(newValueInfo({ name: input, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } }));
  }
  return { sites, inputs };
}
