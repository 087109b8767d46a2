/**
 * The vocabulary of structured pruning's dependency analysis (after Fang et al. 2023, "DepGraph:
 * Towards Any Structural Pruning"): a group's channels live along one axis of several tensors at
 * once, and each op declares, through its rule, which other tensors' axes and which parameter
 * slices the channels reaching one of its ports are tied to.
 */
import type { Graph } from '../../onnx/graph.js';
import type { NodeProto } from '../../onnx/proto.js';

/**
 * Where a group's channels sit in an activation tensor: channel c is the elements
 * [offset + c*block, offset + (c+1)*block) along `axis` (block > 1 after Flatten, offset > 0 after Concat).
 */
export interface AxisSlot {
  value: string;
  axis: number;
  offset: number;
  block: number;
}

/**
 * Elements of a parameter (initializer or Constant) that belong to the channels, laid out as in
 * AxisSlot. `role` 'out' marks the producing filter or neuron (what L1/L2 filter norms read), 'in'
 * a consumer's input columns, 'channel' per-channel vectors (bias, BatchNorm statistics).
 */
export interface ParameterSlice {
  parameter: string;
  axis: number;
  offset: number;
  block: number;
  role: 'out' | 'in' | 'channel';
}

/** What a rule says about the channels that reach one port of a node. */
export type Coupling =
  | { kind: 'slot'; slot: AxisSlot }
  | { kind: 'slice'; slice: ParameterSlice }
  /** An integer attribute that must equal the number of kept channels (a depthwise Conv's group). */
  | { kind: 'channelCountAttribute'; node: string; attribute: string };

export type RuleResult = { couplings: Coupling[] } | { blocked: string };

export interface Port {
  side: 'input' | 'output';
  index: number;
}

export interface CouplingContext {
  readonly graph: Graph;
  /** Static dims of a value (from one shape-inference run). */
  shapeOf(value: string): readonly number[];
  /** The parameter (float initializer or Constant) a value is, if any. */
  isParameter(value: string): boolean;
  /**
   * The parameter holding a 2-D weight read at `value`, directly or through Transpose(perm 1,0)
   * (PyTorch's exported nn.Linear), and whether its axes are swapped relative to `value`.
   */
  weightOf(value: string): { parameter: string; transposed: boolean } | undefined;
  /** Number of channels in the group being traced. */
  readonly channels: number;
}

export interface CouplingRule {
  /** Couplings of the channels in `slot`, which arrives at `port` of `node`. */
  couple(node: NodeProto, port: Port, slot: AxisSlot, ctx: CouplingContext): RuleResult;
  /** For contractions whose output units can be pruned: the axis of output 0 holding them. */
  sourceAxis?(node: NodeProto, ctx: CouplingContext): number | undefined;
}

export const slotKey = (s: AxisSlot): string => `${s.value}|${s.axis}|${s.offset}|${s.block}`;
export const sliceKey = (s: ParameterSlice): string => `${s.parameter}|${s.axis}|${s.offset}|${s.block}`;
export const same = (slot: AxisSlot, value: string, axis = slot.axis): Coupling => ({ kind: 'slot', slot: { ...slot, value, axis } });
