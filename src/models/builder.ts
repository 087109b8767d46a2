/**
 * A small layer vocabulary over Graph for the model builders: each call adds the nodes and seeded
 * initializers of one PyTorch-style layer and returns the name of its output value. Parameter names
 * follow PyTorch's state_dict (`fc1.weight`, `bn1.running_mean`), value names the layer name, so
 * intermediate features can be addressed as `relu1`, `layer2.0` and so on.
 */
import { float, type Attrs } from '../onnx/attributes.js';
import { Graph } from '../onnx/graph.js';
import { newGraph, newModel, newValueInfo, type ModelProto, type ValueInfoProto } from '../onnx/proto.js';
import { makeTensor } from '../onnx/tensor.js';
import { RetortError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { defaultInitBound, filled, uniform } from './init.js';

export const OPSET = 17;
export const IR_VERSION = 8;
export const INPUT_NAME = 'input';
export const OUTPUT_NAME = 'logits';
export const BATCH_DIM = 'batch';
const FLOAT = 1;

/** A float tensor's value_info with a symbolic batch axis first. */
export function batchedValueInfo(name: string, dims: readonly number[]): ValueInfoProto {
  const dim = [{ dimParam: BATCH_DIM }, ...dims.map((d) => ({ dimValue: d }))];
  return newValueInfo({ name, type: { tensorType: { elemType: FLOAT, shape: { dim } } } });
}

/** Output length of a convolution or pooling window along one axis. */
export function windowOutputSize(size: number, kernel: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - kernel) / stride) + 1;
}

export interface ConvOptions {
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride?: number;
  pad?: number;
  /** Convolutions followed by BatchNorm carry no bias (its shift makes one redundant). */
  bias?: boolean;
}

export class ModelBuilder {
  readonly graph: Graph;
  /** One stream for all parameters, drawn in layer order: same seed, same weights. */
  private readonly rng: Rng;

  constructor(name: string, inputDims: readonly number[], seed: number) {
    this.graph = new Graph(newGraph({ name, input: [batchedValueInfo(INPUT_NAME, inputDims)] }));
    this.rng = new Rng(seed);
  }

  private parameter(name: string, dims: readonly number[], values: Float32Array): string {
    this.graph.addInitializer(makeTensor(name, dims, values));
    return name;
  }

  private node(opType: string, name: string, inputs: string[], attrs?: Attrs, output = name): string {
    this.graph.addNode({ opType, name, inputs, outputs: [output], attrs });
    return output;
  }

  /** nn.Linear as Gemm(x, W, b) with transB=1, W stored [out, in] like PyTorch. */
  linear(name: string, x: string, inFeatures: number, outFeatures: number, output = name): string {
    const bound = defaultInitBound(inFeatures);
    const weight = this.parameter(`${name}.weight`, [outFeatures, inFeatures], uniform(this.rng, outFeatures * inFeatures, bound));
    const bias = this.parameter(`${name}.bias`, [outFeatures], uniform(this.rng, outFeatures, bound));
    return this.node('Gemm', name, [x, weight, bias], { transB: 1 }, output);
  }

  /** nn.Conv2d, weight [out, in, k, k]. */
  conv(name: string, x: string, options: ConvOptions): string {
    const { inChannels, outChannels, kernel, stride = 1, pad = 0, bias = true } = options;
    const fanIn = inChannels * kernel * kernel;
    const bound = defaultInitBound(fanIn);
    const inputs = [x, this.parameter(`${name}.weight`, [outChannels, inChannels, kernel, kernel], uniform(this.rng, outChannels * fanIn, bound))];
    if (bias) inputs.push(this.parameter(`${name}.bias`, [outChannels], uniform(this.rng, outChannels, bound)));
    return this.node('Conv', name, inputs, {
      kernel_shape: [kernel, kernel],
      strides: [stride, stride],
      pads: [pad, pad, pad, pad],
    });
  }

  /**
   * nn.BatchNorm2d (Ioffe & Szegedy 2015) as PyTorch initializes it: scale 1, shift 0, running mean
   * 0, running variance 1; epsilon 1e-5 and ONNX momentum 0.9 (PyTorch's momentum 0.1).
   */
  batchNorm(name: string, x: string, channels: number): string {
    const inputs = [
      this.parameter(`${name}.weight`, [channels], filled(channels, 1)),
      this.parameter(`${name}.bias`, [channels], filled(channels, 0)),
      this.parameter(`${name}.running_mean`, [channels], filled(channels, 0)),
      this.parameter(`${name}.running_var`, [channels], filled(channels, 1)),
    ];
    return this.node('BatchNormalization', name, [x, ...inputs], { epsilon: float(1e-5), momentum: float(0.9) });
  }

  relu(name: string, x: string): string {
    return this.node('Relu', name, [x]);
  }

  /**
   * Dropout (Srivastava et al. 2014) with its ratio as a scalar initializer. Without a training_mode
   * input ORT runs it as identity; the training graph adds training_mode.
   */
  dropout(name: string, x: string, ratio: number): string {
    if (!(ratio >= 0 && ratio < 1)) throw new RetortError('BAD_ARGUMENT', `Dropout "${name}": ratio ${ratio} must be in [0, 1)`);
    const ratioName = this.parameter(`${name}.ratio`, [], Float32Array.of(ratio));
    return this.node('Dropout', name, [x, ratioName]);
  }

  maxPool(name: string, x: string, kernel: number, stride = kernel): string {
    return this.node('MaxPool', name, [x], { kernel_shape: [kernel, kernel], strides: [stride, stride] });
  }

  globalAveragePool(name: string, x: string): string {
    return this.node('GlobalAveragePool', name, [x]);
  }

  /** [N, ...] to [N, rest] (torch.flatten(x, 1)). */
  flatten(name: string, x: string): string {
    return this.node('Flatten', name, [x], { axis: 1 });
  }

  add(name: string, a: string, b: string): string {
    return this.node('Add', name, [a, b]);
  }

  /** Declare `logits` [batch, numClasses] the output and wrap the graph in a ModelProto. */
  finish(logits: string, numClasses: number, docString: string): ModelProto {
    if (logits !== OUTPUT_NAME) throw new RetortError('GRAPH_INVALID', `The last layer must write "${OUTPUT_NAME}", not "${logits}"`);
    this.graph.proto.output.push(batchedValueInfo(OUTPUT_NAME, [numClasses]));
    this.graph.touch();
    return newModel({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'retort',
      docString,
      graph: this.graph.proto,
    });
  }
}

/** A positive integer option, or a BAD_ARGUMENT error naming it. */
export function checkPositiveInteger(what: string, value: number): void {
  if (!(Number.isInteger(value) && value > 0)) throw new RetortError('BAD_ARGUMENT', `${what} must be a positive integer, got ${value}`);
}
