/**
 * Reverse-mode differentiation of an ONNX graph, emitting the backward pass as ONNX nodes into the
 * same graph. The engine, not the rules, walks the graph in reverse topological order, sums
 * gradients where a value fans out, reduces broadcast gradients, skips values that do not depend
 * on what is differentiated (integer and shape paths, stop-gradients), and fails loudly on an op
 * without a rule.
 */
import { RetortError } from '../util/errors.js';
import type { Graph } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/proto.js';
import type { ValueShape } from '../runtime/shapeInference.js';
import { GraphBuilder } from './builder.js';
import { sumToShape } from './broadcast.js';
import { gradientRegistry, ruleKey } from './registry.js';
import type { GradientContext, GradientRule } from './rule.js';
import type { Registry } from '../util/registry.js';
import { attrTensor } from '../onnx/attributes.js';
import { readTensor } from '../onnx/tensor.js';

export interface GradientRequest {
  graph: Graph;
  /** The value to differentiate (usually a scalar loss). */
  loss: string;
  /** Values to differentiate with respect to: parameters, and inputs for input gradients. */
  wrt: readonly string[];
  /** Static types and shapes of every forward value (runtime/shapeInference.ts). */
  shapes: ReadonlyMap<string, ValueShape>;
  /** The graph's default-domain opset. */
  opset: number;
  /** Values through which no gradient flows (teacher outputs, masks). */
  stopGradients?: ReadonlySet<string>;
  /** Name prefix of emitted nodes. */
  prefix?: string;
  registry?: Registry<GradientRule>;
}

/** Names of the gradient values, by the `wrt` name they belong to. */
export type Gradients = Map<string, string>;

export function differentiate(request: GradientRequest): Gradients {
  const { graph, loss, wrt, shapes, opset } = request;
  const registry = request.registry ?? gradientRegistry;
  const stop = request.stopGradients ?? new Set<string>();
  const b = new GraphBuilder(graph, opset, request.prefix ?? 'grad/');
  const shapeOf = (value: string): number[] => {
    const s = shapes.get(value);
    if (!s) throw new RetortError('SHAPE_UNKNOWN', `No static shape known for value "${value}"`);
    return s.dims;
  };
  const order = graph.topologicalOrder();
  const dependent = dependentValues(order, wrt, shapes, stop);
  if (!dependent.has(loss)) {
    throw new RetortError('GRAPH_INVALID', `The loss "${loss}" does not depend on any of: ${wrt.join(', ')}`);
  }

  const pending = new Map<string, string[]>();
  const accumulate = (value: string, gradient: string) => pending.set(value, [...(pending.get(value) ?? []), gradient]);
  const lossDims = shapeOf(loss);
  accumulate(loss, lossDims.length === 0 ? b.constFloat(1) : b.expand(b.constFloat(1), lossDims));

  // Fan-in is summed once, when a value's gradient is first read.
  const total = (value: string): string | undefined => {
    const parts = pending.get(value);
    if (!parts) return undefined;
    const summed = b.sum(parts);
    pending.set(value, [summed]);
    return summed;
  };

  for (const node of [...order].reverse()) {
    const gradOutputs = node.output.map((o) => (o ? total(o) : undefined));
    if (gradOutputs.every((g) => g === undefined)) continue;
    const rule = registry.find(ruleKey(node));
    if (!rule) {
      throw new RetortError(
        'NO_GRADIENT_RULE',
        `No gradient rule for op ${ruleKey(node)} (node "${node.name || node.output[0]}"). Ops with rules: ${registry.keys().join(', ')}`,
      );
    }
    const nonDiff = new Set(rule.nonDifferentiableInputs ?? []);
    const needs = (i: number): boolean => {
      const name = node.input[i];
      return !!name && !nonDiff.has(i) && dependent.has(name);
    };
    if (!node.input.some((_, i) => needs(i))) continue;
    const ctx: GradientContext = {
      node,
      b,
      opset,
      input: (i) => node.input[i] ?? '',
      inputCount: node.input.length,
      output: (i) => node.output[i] ?? '',
      gradOutput: (i) => gradOutputs[i],
      needsGradient: needs,
      shape: shapeOf,
      constantInput: (i) => (node.input[i] ? constantValues(graph, node.input[i]!) : undefined),
    };
    const gradInputs = rule.backward(ctx);
    node.input.forEach((name, i) => {
      if (!needs(i)) return;
      let gradient = gradInputs[i];
      if (gradient === undefined) return;
      if (broadcasts(rule, i)) gradient = sumToShape(b, gradient, shapeOf(node.output[0]!), shapeOf(name));
      accumulate(name, gradient);
    });
  }

  const result: Gradients = new Map();
  for (const name of wrt) result.set(name, total(name) ?? b.zeros(shapeOf(name)));
  return result;
}

/** Values of an initializer or Constant-node output, as numbers (for axes, shapes, pads). */
export function constantValues(graph: Graph, value: string): number[] | undefined {
  const init = graph.initializer(value);
  const tensor = init ?? (graph.producerOf(value)?.opType === 'Constant' ? attrTensor(graph.producerOf(value)!, 'value') : undefined);
  if (!tensor) return undefined;
  return Array.from(readTensor(tensor) as ArrayLike<number | bigint>, Number);
}

function broadcasts(rule: GradientRule, input: number): boolean {
  const spec = rule.broadcastInputs;
  return spec === 'all' || (spec !== undefined && spec.includes(input));
}

/** Float values that depend on a `wrt` value; integer, boolean and stopped values carry no gradient. */
function dependentValues(
  order: readonly NodeProto[],
  wrt: readonly string[],
  shapes: ReadonlyMap<string, ValueShape>,
  stop: ReadonlySet<string>,
): Set<string> {
  const dependent = new Set(wrt.filter((v) => !stop.has(v)));
  for (const node of order) {
    if (!node.input.some((i) => i && dependent.has(i))) continue;
    for (const o of node.output) {
      if (o && !stop.has(o) && shapes.get(o)?.type === 'float32') dependent.add(o);
    }
  }
  return dependent;
}
