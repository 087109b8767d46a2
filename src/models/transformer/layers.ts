/**
 * The layer vocabulary of the transformer builders: each call adds the nodes and seeded parameters of
 * one layer to the graph and returns the name of its output value, which is the layer's name (or the
 * `output` a caller asks for). Parameters are drawn from one random stream in build order, so the
 * same seed gives the same weights.
 *
 * Linear layers are MatMul(x, W) + b with W stored [in, out], the layout ONNX MatMul reads and
 * Hugging Face's GPT-2 Conv1D stores; it works on any rank (x [batch, seq, in]) and is the form the
 * pruning, low-rank and quantization passes recognise as a weight matrix.
 */
import { float, type Attrs } from '../../onnx/attributes.js';
import { Graph } from '../../onnx/graph.js';
import { newGraph, newValueInfo, type ValueInfoProto } from '../../onnx/proto.js';
import { makeTensor } from '../../onnx/tensor.js';
import { RetortError } from '../../util/errors.js';
import { Rng } from '../../util/random.js';
import { filled } from '../init.js';

/** `count` values from N(0, std²). */
export function normal(rng: Rng, count: number, std: number): Float32Array {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = rng.normal() * std;
  return values;
}

export class TransformerGraph {
  readonly graph: Graph;
  private readonly rng: Rng;

  constructor(name: string, inputs: ValueInfoProto[], seed: number) {
    this.graph = new Graph(newGraph({ name, input: inputs }));
    this.rng = new Rng(seed);
  }

  /** A float parameter drawn from N(0, std²), or filled with `std` when `fill` is set. */
  parameter(name: string, dims: readonly number[], init: { std: number } | { fill: number }): string {
    const count = dims.reduce((a, b) => a * b, 1);
    const values = 'std' in init ? normal(this.rng, count, init.std) : filled(count, init.fill);
    this.graph.addInitializer(makeTensor(name, dims, values));
    return name;
  }

  /**
   * A float or int64 constant stored as an initializer. Float constants must be scalars: every float
   * initializer of more than one element counts as a trainable parameter (onnx/parameters.ts).
   */
  constant(name: string, value: number | readonly number[], type: 'float' | 'int64'): string {
    if (type === 'float') {
      if (typeof value !== 'number') throw new RetortError('GRAPH_INVALID', `Constant "${name}": float constants must be scalars (larger ones would be trained)`);
      this.graph.addInitializer(makeTensor(name, [], Float32Array.of(value)));
    } else {
      const values = typeof value === 'number' ? [value] : value;
      this.graph.addInitializer(makeTensor(name, typeof value === 'number' ? [] : [values.length], BigInt64Array.from(values, (v) => BigInt(v))));
    }
    return name;
  }

  node(opType: string, name: string, inputs: readonly string[], attrs?: Attrs, output = name): string {
    this.graph.addNode({ opType, name, inputs, outputs: [output], attrs });
    return output;
  }

  /** y = x W + b, W [in, out] ~ N(0, weightStd²), b = 0. Parameters `NAME.weight`, `NAME.bias`. */
  linear(name: string, x: string, inFeatures: number, outFeatures: number, weightStd: number, output = name): string {
    const weight = this.parameter(`${name}.weight`, [inFeatures, outFeatures], { std: weightStd });
    const bias = this.parameter(`${name}.bias`, [outFeatures], { fill: 0 });
    const product = this.node('MatMul', `${name}.matmul`, [x, weight]);
    return this.node('Add', name, [product, bias], undefined, output);
  }

  /**
   * nn.Linear as Gemm(x, W, b) with transB=1, W stored [out, in] as PyTorch does: for 2-D heads
   * (BERT's pooler and classifier), the form the classification methods read.
   */
  gemm(name: string, x: string, inFeatures: number, outFeatures: number, weightStd: number, output = name): string {
    const weight = this.parameter(`${name}.weight`, [outFeatures, inFeatures], { std: weightStd });
    const bias = this.parameter(`${name}.bias`, [outFeatures], { fill: 0 });
    return this.node('Gemm', name, [x, weight, bias], { transB: 1 }, output);
  }

  /** Layer normalization over the last axis (Ba et al. 2016), scale 1 and shift 0 at the start. */
  layerNorm(name: string, x: string, features: number, epsilon: number, output = name): string {
    const scale = this.parameter(`${name}.weight`, [features], { fill: 1 });
    const shift = this.parameter(`${name}.bias`, [features], { fill: 0 });
    return this.node('LayerNormalization', name, [x, scale, shift], { axis: -1, epsilon: float(epsilon) }, output);
  }

  /** Rows `ids` of a [rows, features] table ~ N(0, std²): nn.Embedding. */
  embedding(name: string, ids: string, rows: number, features: number, std: number, output = name): string {
    const table = this.parameter(`${name}.weight`, [rows, features], { std });
    return this.node('Gather', name, [table, ids], { axis: 0 }, output);
  }

  /**
   * GELU (Hendrycks & Gimpel 2016) in its exact form 0.5·x·(1 + erf(x/√2)), as PyTorch's nn.GELU
   * computes it and exports it at opsets below 20; ORT's optimizer fuses this pattern into one Gelu
   * kernel for inference, and every op in it has a gradient rule.
   */
  gelu(name: string, x: string, output = name): string {
    const scaled = this.node('Div', `${name}.div`, [x, this.constant(`${name}.sqrt2`, Math.SQRT2, 'float')]);
    const erf = this.node('Erf', `${name}.erf`, [scaled]);
    const shifted = this.node('Add', `${name}.add`, [erf, this.constant(`${name}.one`, 1, 'float')]);
    const product = this.node('Mul', `${name}.mul`, [x, shifted]);
    return this.node('Mul', name, [product, this.constant(`${name}.half`, 0.5, 'float')], undefined, output);
  }

  /**
   * Dropout (Srivastava et al. 2014) with its ratio as a scalar initializer, as the MLP builder emits
   * it: identity in inference; the training graph replaces it by a Mul with a seeded mask.
   */
  dropout(name: string, x: string, ratio: number, output = name): string {
    if (!(ratio >= 0 && ratio < 1)) throw new RetortError('BAD_ARGUMENT', `Dropout "${name}": ratio ${ratio} must be in [0, 1)`);
    return this.node('Dropout', name, [x, this.constant(`${name}.ratio`, ratio, 'float')], undefined, output);
  }

  /** Dropout when `ratio` > 0, else `x` itself (no node). */
  maybeDropout(name: string, x: string, ratio: number): string {
    return ratio > 0 ? this.dropout(name, x, ratio) : x;
  }
}

/** A tensor's value_info; string dims are symbolic (`batch`, `seq`). */
export function tensorInfo(name: string, elemType: number, dims: readonly (number | string)[]): ValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }));
  return newValueInfo({ name, type: { tensorType: { elemType, shape: { dim } } } });
}
