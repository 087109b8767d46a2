/**
 * Structural checks after decoding: every node input is produced by something, so a model whose
 * bytes decoded but whose contents are damaged fails here with a message, not later inside ORT.
 */
import { RetortError } from '../util/errors.js';
import type { GraphProto, ModelProto } from './proto.js';

export function validateModel(model: ModelProto, source: string): void {
  if (model.graph) validateGraph(model.graph, source, new Set());
}

function validateGraph(graph: GraphProto, source: string, outer: ReadonlySet<string>): void {
  const known = new Set<string>(outer);
  for (const v of graph.input) known.add(v.name);
  for (const t of graph.initializer) known.add(t.name);
  for (const s of graph.sparseInitializer) if (s.values) known.add(s.values.name);
  for (const node of graph.node) for (const o of node.output) if (o) known.add(o);
  for (const node of graph.node) {
    for (const input of node.input) {
      if (input !== '' && !known.has(input)) {
        throw new RetortError(
          'CORRUPT_MODEL',
          `${source}: node "${node.name || node.opType}" (${node.opType}) reads "${input}", which no input, initializer or node produces`,
        );
      }
    }
    // Subgraphs (If/Loop/Scan) may read any value of the enclosing scopes.
    for (const a of node.attribute) {
      if (a.g) validateGraph(a.g, source, known);
      for (const g of a.graphs) validateGraph(g, source, known);
    }
  }
  for (const o of graph.output) {
    if (!known.has(o.name)) throw new RetortError('CORRUPT_MODEL', `${source}: graph output "${o.name}" is produced by nothing`);
  }
}
