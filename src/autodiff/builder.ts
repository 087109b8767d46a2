/**
 * Emits ONNX nodes into a graph with the brevity gradient rules need: `b.mul(dY, b.sub(one, b.mul(Y, Y)))`.
 * Opset-aware where ONNX moved attributes to inputs (ReduceSum axes at 13, ReduceMean/Max at 18,
 * Squeeze/Unsqueeze/Split at 13), so rules emit valid nodes for the model they extend.
 */
import type { Attrs } from '../onnx/attributes.js';
import type { Graph } from '../onnx/graph.js';
import { makeTensor } from '../onnx/tensor.js';

export class GraphBuilder {
  private readonly constants = new Map<string, string>();

  constructor(
    readonly graph: Graph,
    /** The default-domain opset the graph imports. */
    readonly opset: number,
    /** Prefix for generated names, so emitted nodes are recognisable (e.g. "grad/"). */
    readonly prefix: string,
  ) {}

  /** One node, returning its first output's name. */
  op(opType: string, inputs: readonly string[], attrs?: Attrs, domain?: string): string {
    return this.opN(opType, inputs, 1, attrs, domain)[0]!;
  }

  /** One node with `outputCount` outputs. */
  opN(opType: string, inputs: readonly string[], outputCount: number, attrs?: Attrs, domain?: string): string[] {
    const name = this.graph.uniqueName(`${this.prefix}${opType}`);
    const outputs = Array.from({ length: outputCount }, (_, i) => this.graph.uniqueName(`${name}_out${i}`));
    this.graph.addNode({ opType, inputs, outputs, attrs, name, domain });
    return outputs;
  }

  /** A float32 constant (initializer), shared between uses of the same value and dims. */
  constFloat(values: number | readonly number[] | Float32Array, dims?: readonly number[]): string {
    const data = typeof values === 'number' ? Float32Array.of(values) : Float32Array.from(values);
    const shape = dims ?? (typeof values === 'number' ? [] : [data.length]);
    return this.constant('f', data, shape, () => makeTensor('', shape, data));
  }

  constInt64(values: number | readonly number[], dims?: readonly number[]): string {
    const list = typeof values === 'number' ? [values] : values;
    const data = BigInt64Array.from(list, (v) => BigInt(v));
    const shape = dims ?? (typeof values === 'number' ? [] : [data.length]);
    return this.constant('i', data, shape, () => makeTensor('', shape, data));
  }

  private constant(kind: string, data: ArrayLike<number | bigint>, dims: readonly number[], make: () => ReturnType<typeof makeTensor>): string {
    // Small constants are deduplicated by value; large ones (masks) are always new.
    const key = data.length <= 16 ? `${kind}[${dims.join(',')}]${Array.from(data).join(',')}` : undefined;
    const cached = key ? this.constants.get(key) : undefined;
    if (cached) return cached;
    const tensor = make();
    tensor.name = this.graph.uniqueName(`${this.prefix}const`);
    this.graph.addInitializer(tensor);
    if (key) this.constants.set(key, tensor.name);
    return tensor.name;
  }

  add(a: string, b: string): string { return this.op('Add', [a, b]); }
  sub(a: string, b: string): string { return this.op('Sub', [a, b]); }
  mul(a: string, b: string): string { return this.op('Mul', [a, b]); }
  div(a: string, b: string): string { return this.op('Div', [a, b]); }
  neg(a: string): string { return this.op('Neg', [a]); }
  matmul(a: string, b: string): string { return this.op('MatMul', [a, b]); }
  exp(a: string): string { return this.op('Exp', [a]); }
  sqrt(a: string): string { return this.op('Sqrt', [a]); }
  identity(a: string): string { return this.op('Identity', [a]); }

  /** Multiply by a float scalar. */
  scale(a: string, factor: number): string {
    return this.mul(a, this.constFloat(factor));
  }

  transpose(a: string, perm: readonly number[]): string {
    return this.op('Transpose', [a], { perm: [...perm] });
  }

  /** Swap the last two axes of a tensor of the given rank. */
  transposeLast2(a: string, rank: number): string {
    const perm = Array.from({ length: rank }, (_, i) => i);
    [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
    return this.transpose(a, perm);
  }

  reshape(a: string, dims: readonly number[]): string {
    return this.op('Reshape', [a, this.constInt64(dims, [dims.length])]);
  }

  reduceSum(a: string, axes: readonly number[], keepdims: boolean): string {
    if (this.opset >= 13) return this.op('ReduceSum', [a, this.constInt64(axes, [axes.length])], { keepdims: keepdims ? 1 : 0 });
    return this.op('ReduceSum', [a], { axes: [...axes], keepdims: keepdims ? 1 : 0 });
  }

  reduceMean(a: string, axes: readonly number[], keepdims: boolean): string {
    if (this.opset >= 18) return this.op('ReduceMean', [a, this.constInt64(axes, [axes.length])], { keepdims: keepdims ? 1 : 0 });
    return this.op('ReduceMean', [a], { axes: [...axes], keepdims: keepdims ? 1 : 0 });
  }

  reduceMax(a: string, axes: readonly number[], keepdims: boolean): string {
    if (this.opset >= 18) return this.op('ReduceMax', [a, this.constInt64(axes, [axes.length])], { keepdims: keepdims ? 1 : 0 });
    return this.op('ReduceMax', [a], { axes: [...axes], keepdims: keepdims ? 1 : 0 });
  }

  unsqueeze(a: string, axes: readonly number[]): string {
    if (this.opset >= 13) return this.op('Unsqueeze', [a, this.constInt64(axes, [axes.length])]);
    return this.op('Unsqueeze', [a], { axes: [...axes] });
  }

  squeeze(a: string, axes: readonly number[]): string {
    if (this.opset >= 13) return this.op('Squeeze', [a, this.constInt64(axes, [axes.length])]);
    return this.op('Squeeze', [a], { axes: [...axes] });
  }

  /** Broadcast `a` to static `dims`. */
  expand(a: string, dims: readonly number[]): string {
    return this.op('Expand', [a, this.constInt64(dims, [dims.length])]);
  }

  /** Zeros of static `dims`. */
  zeros(dims: readonly number[]): string {
    return this.expand(this.constFloat(0), dims);
  }

  /** a >= b as a bool tensor; GreaterOrEqual arrived at opset 12, Not(Less) before. */
  greaterOrEqual(a: string, b: string): string {
    if (this.opset >= 12) return this.op('GreaterOrEqual', [a, b]);
    return this.op('Not', [this.op('Less', [a, b])]);
  }

  /** a <= b as a bool tensor; LessOrEqual arrived at opset 12, Not(Greater) before. */
  lessOrEqual(a: string, b: string): string {
    if (this.opset >= 12) return this.op('LessOrEqual', [a, b]);
    return this.op('Not', [this.op('Greater', [a, b])]);
  }

  /** Elementwise select: where `condition` holds `a`, else `b` (broadcasting). */
  where(condition: string, a: string, b: string): string {
    return this.op('Where', [condition, a, b]);
  }

  concat(values: readonly string[], axis: number): string {
    return this.op('Concat', values, { axis });
  }

  /** Split along `axis` into pieces of static `sizes` (`split` attribute before opset 13, input after). */
  split(a: string, axis: number, sizes: readonly number[]): string[] {
    if (this.opset >= 13) return this.opN('Split', [a, this.constInt64(sizes, [sizes.length])], sizes.length, { axis });
    return this.opN('Split', [a], sizes.length, { axis, split: [...sizes] });
  }

  /** Slice with static starts/ends on `axes`, step 1 (starts/ends as inputs since opset 10). */
  slice(a: string, starts: readonly number[], ends: readonly number[], axes: readonly number[]): string {
    const list = (v: readonly number[]) => this.constInt64(v, [v.length]);
    if (this.opset >= 10) return this.op('Slice', [a, list(starts), list(ends), list(axes)]);
    return this.op('Slice', [a], { starts: [...starts], ends: [...ends], axes: [...axes] });
  }

  /** Zero padding; `pads` is [begin..., end...] over every axis (attribute before opset 11, input after). */
  pad(a: string, pads: readonly number[]): string {
    if (this.opset >= 11) return this.op('Pad', [a, this.constInt64(pads, [pads.length])]);
    return this.op('Pad', [a], { pads: [...pads] });
  }

  /** Cast to float32 (ONNX DataType 1). */
  toFloat(a: string): string {
    return this.op('Cast', [a], { to: 1 });
  }

  /** Sum of several values (a single value is returned as is). */
  sum(values: readonly string[]): string {
    if (values.length === 1) return values[0]!;
    return this.op('Sum', values);
  }
}
