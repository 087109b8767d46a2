/**
 * Whole-block pruning: a residual block y = F(x) + shortcut(x) without its branch F is y =
 * shortcut(x) (Veit et al. 2016 show residual networks tolerate dropping single blocks). A branch is
 * what dies when the Add is replaced by its other operand: dead-code elimination finds it, so nodes
 * the branch shares with the rest of the graph (shape computations, masks) stay.
 */
import { cloneForEditing } from '../../autodiff/gradientModel.js';
import { Graph } from '../../onnx/graph.js';
import { decodeModel, encodeModel } from '../../onnx/model.js';
import { listParameters } from '../../onnx/parameters.js';
import type { ModelProto, NodeProto } from '../../onnx/proto.js';
import type { ValueShape } from '../../runtime/shapeInference.js';
import { RetortError } from '../../util/errors.js';
import type { ElementScores, ImportanceCriterion } from './importance.js';

export interface ResidualBranch {
  /** The Add joining branch and shortcut. */
  add: string;
  /** The operand that is kept (the shortcut). */
  shortcut: string;
  /** Nodes removed with the branch. */
  nodes: string[];
  /** Parameters only the branch reads. */
  parameters: string[];
}

/** Nodes that become dead when `cut` is replaced by its operand `kept` (cut itself included). */
function deadAfterCut(graph: Graph, cut: NodeProto, value: string, kept: string): Set<NodeProto> {
  const dead = new Set<NodeProto>([cut]);
  const pending = [graph.producerOf(value)];
  while (pending.length > 0) {
    const node = pending.pop();
    if (!node || dead.has(node)) continue;
    const used = node.output.some((o) => o === kept || graph.isGraphOutput(o) || graph.consumersOf(o).some((c) => !dead.has(c)));
    if (used) continue;
    dead.add(node);
    for (const i of node.input) pending.push(graph.producerOf(i));
  }
  return dead;
}

/** Residual Adds whose branch can be dropped: both operands computed, shaped like the result. */
export function findResidualBranches(model: ModelProto, shapes: ReadonlyMap<string, ValueShape>): ResidualBranch[] {
  const graph = new Graph(model.graph!);
  const parameters = new Set(listParameters(graph).map((p) => p.name));
  const sameShape = (a: string, b: string): boolean => JSON.stringify(shapes.get(a)?.dims) === JSON.stringify(shapes.get(b)?.dims);
  const branches: ResidualBranch[] = [];
  for (const add of graph.nodes) {
    if (add.opType !== 'Add' || add.domain || add.input.length !== 2) continue;
    const [a, b] = add.input as [string, string];
    if (!graph.producerOf(a) || !graph.producerOf(b) || !sameShape(a, add.output[0]!) || !sameShape(b, add.output[0]!)) continue;
    const options = [[b, a], [a, b]].map(([branch, shortcut]) => {
      const dead = deadAfterCut(graph, add, branch!, shortcut!);
      const owned = [...parameters].filter((p) => graph.consumersOf(p).length > 0 && graph.consumersOf(p).every((n) => dead.has(n)));
      return { shortcut: shortcut!, dead, owned };
    });
    // The branch is the operand whose removal takes more weights with it (an identity shortcut takes none).
    const best = options.filter((o) => o.owned.length > 0).sort((x, y) => y.owned.length - x.owned.length)[0];
    if (!best) continue;
    branches.push({
      add: add.name,
      shortcut: best.shortcut,
      nodes: [...best.dead].map((n) => n.name),
      parameters: best.owned,
    });
  }
  return branches;
}

/** Score of a branch: mean |w| (l1), root mean square (l2) or sum of |w dL/dw| (taylor) over its weights. */
export function branchImportance(branch: ResidualBranch, criterion: ImportanceCriterion, scores: ElementScores): number {
  let total = 0;
  let count = 0;
  for (const p of branch.parameters) {
    const s = scores.get(p)?.scores ?? new Float64Array();
    for (const x of s) total += x;
    count += s.length;
  }
  if (criterion === 'taylor') return total;
  const mean = count > 0 ? total / count : 0;
  return criterion === 'l2' ? Math.sqrt(mean) : mean;
}

/** A copy of `model` without the given branches: each Add's uses read its shortcut instead. */
export function removeBranches(model: ModelProto, branches: readonly ResidualBranch[]): ModelProto {
  const copy = cloneForEditing(model);
  const graph = new Graph(copy.graph!);
  for (const branch of branches) {
    const add = graph.nodes.find((n) => n.name === branch.add);
    if (!add) throw new RetortError('BAD_ARGUMENT', `No Add node "${branch.add}" in the model`);
    const output = add.output[0]!;
    if (graph.isGraphOutput(output)) {
      graph.replaceNode(add, [{ ...add, opType: 'Identity', input: [branch.shortcut], attribute: [] }]);
    } else {
      graph.removeNode(add);
      graph.renameValueUses(output, branch.shortcut);
    }
  }
  eliminateDeadCode(graph);
  // A clean decode: edited copies hold spread protobuf messages whose defaults live on prototypes.
  return decodeModel(encodeModel(copy));
}

/** Remove nodes no graph output depends on, then initializers nothing reads. */
export function eliminateDeadCode(graph: Graph): void {
  const live = new Set<string>(graph.outputs.map((o) => o.name));
  const kept: NodeProto[] = [];
  for (const node of [...graph.topologicalOrder()].reverse()) {
    if (!node.output.some((o) => live.has(o))) continue;
    kept.push(node);
    for (const i of node.input) if (i) live.add(i);
  }
  const deadInitializers = new Set(graph.proto.initializer.filter((t) => !live.has(t.name)).map((t) => t.name));
  graph.proto.node = graph.proto.node.filter((n) => kept.includes(n));
  graph.proto.initializer = graph.proto.initializer.filter((t) => !deadInitializers.has(t.name));
  graph.proto.input = graph.proto.input.filter((i) => !deadInitializers.has(i.name));
  graph.proto.valueInfo = graph.proto.valueInfo.filter((v) => live.has(v.name));
  graph.touch();
}
