/**
 * Whether two graphs compute the same thing by construction: the same named nodes with the same ops,
 * attributes and wiring, reading the same graph inputs and equal initializers, and the same first
 * output. Value names may differ (wiring is compared by producing node), and Dropout without a
 * training_mode input and Identity are looked through: both are the identity at inference, and
 * export removes one and renames values around it. Used to recognise a graph a builder emits
 * (models/transformer/gptShape.ts) in a model that has been trained, exported or pruned since.
 */
import { AttributeType } from './attributes.js';
import { Graph } from './graph.js';
import { int64ToNumber, type AttributeProto, type GraphProto, type NodeProto, type TensorProto } from './proto.js';
import { readTensor, tensorDims } from './tensor.js';

function isPassThrough(node: NodeProto): boolean {
  if (node.domain) return false;
  return node.opType === 'Identity' || (node.opType === 'Dropout' && !node.input[2]);
}

/** The attribute as comparable text; undefined for tensors and subgraphs, which are not compared. */
function attributeText(a: AttributeProto): string | undefined {
  switch (a.type) {
    case AttributeType.INT: return `${a.name}=${int64ToNumber(a.i)}`;
    case AttributeType.FLOAT: return `${a.name}=${Math.fround(a.f)}`;
    case AttributeType.INTS: return `${a.name}=[${a.ints.map(int64ToNumber).join(',')}]`;
    case AttributeType.FLOATS: return `${a.name}=[${a.floats.map(Math.fround).join(',')}]`;
    case AttributeType.STRING: return `${a.name}="${Buffer.from(a.s).toString('utf8')}"`;
    default: return undefined;
  }
}

function sameTensor(a: TensorProto, b: TensorProto): boolean {
  if (a === b) return true;
  if (a.dataType !== b.dataType || tensorDims(a).join() !== tensorDims(b).join()) return false;
  const [x, y] = [readTensor(a), readTensor(b)];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Each node (pass-through nodes left out) as text naming its op, attributes and the producers of its inputs. */
class Canonical {
  readonly graph: Graph;
  readonly nodes = new Map<string, string>();
  readonly initializers = new Set<string>();
  readonly problems: string[] = [];

  constructor(proto: GraphProto) {
    this.graph = new Graph(proto);
    for (const node of this.graph.nodes) {
      if (isPassThrough(node)) continue;
      if (!node.name || this.nodes.has(node.name)) {
        this.problems.push(node.name ? `two nodes are named "${node.name}"` : `a ${node.opType} node has no name`);
        continue;
      }
      const attributes = node.attribute.map(attributeText);
      if (attributes.includes(undefined)) {
        this.problems.push(`node "${node.name}" has a tensor or subgraph attribute`);
        continue;
      }
      this.nodes.set(node.name, `${node.domain || 'ai.onnx'}.${node.opType}(${node.input.map((i) => this.source(i)).join(', ')}) -> ${node.output.length} {${attributes.sort().join(' ')}}`);
    }
  }

  /** Where a value comes from: a node's output (through pass-through nodes), an initializer, or a graph input. */
  source(value: string): string {
    if (!value) return '-';
    let producer = this.graph.producerOf(value);
    while (producer && isPassThrough(producer)) {
      value = producer.input[0]!;
      producer = this.graph.producerOf(value);
    }
    if (producer) return `${producer.name}#${producer.output.indexOf(value)}`;
    if (this.graph.initializer(value)) {
      this.initializers.add(value);
      return `initializer ${value}`;
    }
    return `input ${value}`;
  }
}

/** null when `actual` computes what `expected` does by construction, else the first difference found. */
export function structuralDifference(expected: GraphProto, actual: GraphProto): string | null {
  const [e, a] = [new Canonical(expected), new Canonical(actual)];
  const problem = e.problems[0] ?? a.problems[0];
  if (problem) return problem;
  const inputs = (c: Canonical): string => c.graph.dataInputs.map((i) => i.name).join(', ');
  if (inputs(e) !== inputs(a)) return `its inputs are [${inputs(a)}], expected [${inputs(e)}]`;
  for (const [name, text] of e.nodes) {
    const other = a.nodes.get(name);
    if (other === undefined) return `it has no node "${name}"`;
    if (other !== text) return `node "${name}" is ${other}, expected ${text}`;
  }
  const extra = [...a.nodes.keys()].find((name) => !e.nodes.has(name));
  if (extra !== undefined) return `it has a node "${extra}" the expected graph does not`;
  for (const name of e.initializers) {
    if (!sameTensor(e.graph.initializer(name)!, a.graph.initializer(name)!)) return `initializer "${name}" differs`;
  }
  const [out, outActual] = [expected.output[0], actual.output[0]];
  if (!out || !outActual || e.source(out.name) !== a.source(outActual.name)) return `its first output "${outActual?.name}" is not the expected graph's`;
  return null;
}
