/**
 * The vocabulary of a gradient rule, after ONNX Runtime's gradient builder: forward inputs I(i),
 * outputs O(i), output gradients GO(i), and whether input i needs a gradient at all.
 */
import type { NodeProto } from '../onnx/proto.js';
import type { GraphBuilder } from './builder.js';

export interface GradientContext {
  readonly node: NodeProto;
  /** Emits backward nodes into the graph being differentiated. */
  readonly b: GraphBuilder;
  /** The default-domain opset of the graph. */
  readonly opset: number;
  /** Forward input i (I(i)); '' when an optional input is absent. */
  input(i: number): string;
  /** Number of forward inputs present (trailing optional ones may be missing). */
  readonly inputCount: number;
  /** Forward output i (O(i)). */
  output(i: number): string;
  /** Gradient of the loss w.r.t. output i (GO(i)), or undefined where nothing downstream needs it. */
  gradOutput(i: number): string | undefined;
  /** Whether the engine needs a gradient for input i; rules skip work for the others. */
  needsGradient(i: number): boolean;
  /** Static dims of a forward value (training graphs are built for fixed input shapes). */
  shape(value: string): number[];
  /**
   * Values of input i when it is a constant (initializer or Constant node), e.g. axes, shapes,
   * pads; undefined when absent or computed at run time.
   */
  constantInput(i: number): number[] | undefined;
}

/**
 * One rule per op or op family. `backward` returns one entry per forward input: the gradient's
 * value name, or undefined. A gradient may have the broadcast shape of the output; the engine
 * reduces it to the input's shape, once, centrally.
 */
export interface GradientRule {
  /** Inputs no gradient flows through (indices, shapes, axes, masks). */
  readonly nonDifferentiableInputs?: readonly number[];
  /**
   * Inputs whose returned gradient has output 0's (broadcast) shape, for the engine to sum back to
   * the input's shape: 'all' for elementwise ops, [2] for Gemm's C.
   */
  readonly broadcastInputs?: 'all' | readonly number[];
  backward(ctx: GradientContext): ReadonlyArray<string | undefined>;
}
