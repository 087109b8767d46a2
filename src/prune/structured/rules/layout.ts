/**
 * Ops that carry channels through unchanged in content but maybe in position: per-channel
 * normalization, pooling, padding, Flatten (a channel becomes H*W columns), Transpose (the axis
 * moves), Concat and Split (offsets), Softmax over another axis.
 */
import { attrInt, attrInts } from '../../../onnx/attributes.js';
import { readTensor } from '../../../onnx/tensor.js';
import type { Coupling, CouplingContext, CouplingRule } from '../coupling.js';

const normalizeAxis = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

/** BatchNormalization / InstanceNormalization: inputs 1.. are per-channel vectors on axis 1. */
export const perChannelRule: CouplingRule = {
  couple(node, port, slot, ctx) {
    if (port.side === 'input' && port.index !== 0) return { blocked: `${node.opType} "${node.name}": channels reach a statistics input` };
    const other = port.side === 'input' ? node.output[0]! : node.input[0]!;
    const couplings: Coupling[] = [{ kind: 'slot', slot: { ...slot, value: other } }];
    if (slot.axis === 1) {
      for (const p of node.input.slice(1)) {
        if (!p) continue;
        if (!ctx.isParameter(p)) return { blocked: `${node.opType} "${node.name}": per-channel input "${p}" is computed` };
        couplings.push({ kind: 'slice', slice: { parameter: p, axis: 0, offset: slot.offset, block: slot.block, role: 'channel' } });
      }
    }
    return { couplings };
  },
};

/** Pooling: the window slides over axes 2.., so batch and channel axes pass through. */
export const poolRule: CouplingRule = {
  couple(node, port, slot) {
    if (slot.axis > 1) return { blocked: `${node.opType} "${node.name}" changes axis ${slot.axis}` };
    return { couplings: [{ kind: 'slot', slot: { ...slot, value: port.side === 'input' ? node.output[0]! : node.input[0]! } }] };
  },
};

function constantInts(value: string | undefined, ctx: CouplingContext): number[] | undefined {
  if (!value) return undefined;
  const tensor = ctx.graph.initializer(value) ?? ctx.graph.producerOf(value)?.attribute.find((a) => a.name === 'value')?.t ?? undefined;
  return tensor ? Array.from(readTensor(tensor), Number) : undefined;
}

/** Pad: passes channels if nothing is padded on their axis. */
export const padRule: CouplingRule = {
  couple(node, port, slot, ctx) {
    if (port.side === 'input' && port.index !== 0) return { blocked: `Pad "${node.name}": channels reach a pads input` };
    const rank = ctx.shapeOf(node.input[0]!).length;
    const pads = attrInts(node, 'pads') ?? constantInts(node.input[1], ctx);
    const axes = constantInts(node.input[3], ctx)?.map((a) => normalizeAxis(a, rank)) ?? [...Array(rank).keys()];
    if (!pads) return { blocked: `Pad "${node.name}" has computed pads` };
    const at = axes.indexOf(slot.axis);
    if (at >= 0 && (pads[at] !== 0 || pads[at + axes.length] !== 0)) return { blocked: `Pad "${node.name}" pads the channel axis` };
    return { couplings: [{ kind: 'slot', slot: { ...slot, value: port.side === 'input' ? node.output[0]! : node.input[0]! } }] };
  },
};

/** Flatten(axis): [d0..dn] -> [prod(d0..axis-1), prod(axis..)]; channel c of axis `axis` is H*W columns. */
export const flattenRule: CouplingRule = {
  couple(node, port, slot, ctx) {
    const dims = ctx.shapeOf(node.input[0]!);
    const axis = normalizeAxis(attrInt(node, 'axis', 1), dims.length);
    const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    if (port.side === 'input') {
      if (slot.axis !== axis) return { blocked: `Flatten "${node.name}" merges the channel axis ${slot.axis} with others` };
      return { couplings: [{ kind: 'slot', slot: { value: node.output[0]!, axis: 1, offset: slot.offset * inner, block: slot.block * inner } }] };
    }
    if (slot.axis !== 1 || slot.offset % inner !== 0 || slot.block % inner !== 0) return { blocked: `Flatten "${node.name}": channels do not map back to whole input channels` };
    return { couplings: [{ kind: 'slot', slot: { value: node.input[0]!, axis, offset: slot.offset / inner, block: slot.block / inner } }] };
  },
};

export const transposeRule: CouplingRule = {
  couple(node, port, slot, ctx) {
    const rank = ctx.shapeOf(node.input[0]!).length;
    const perm = attrInts(node, 'perm') ?? [...Array(rank).keys()].reverse();
    return port.side === 'input'
      ? { couplings: [{ kind: 'slot', slot: { ...slot, value: node.output[0]!, axis: perm.indexOf(slot.axis) } }] }
      : { couplings: [{ kind: 'slot', slot: { ...slot, value: node.input[0]!, axis: perm[slot.axis]! } }] };
  },
};

/**
 * Concat and Split: along another axis every operand carries the channels; along the joined axis
 * channels keep their place at the operand's offset in the joined tensor.
 */
function joinRule(joined: 'output' | 'input'): CouplingRule {
  return {
    couple(node, port, slot, ctx) {
      const joinedValue = joined === 'output' ? node.output[0]! : node.input[0]!;
      const parts = (joined === 'output' ? node.input : node.output).filter((v) => v);
      const rank = ctx.shapeOf(joinedValue).length;
      const axis = normalizeAxis(attrInt(node, 'axis', joined === 'output' ? 1 : 0), rank);
      const arrivesJoined = (port.side === 'output') === (joined === 'output');
      if (joined === 'input' && port.side === 'input' && port.index !== 0) return { blocked: `Split "${node.name}": channels reach its split sizes` };
      if (slot.axis !== axis) {
        return { couplings: [joinedValue, ...parts].map((value) => ({ kind: 'slot' as const, slot: { ...slot, value } })) };
      }
      const sizes = parts.map((p) => ctx.shapeOf(p)[axis]!);
      const starts = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
      if (!arrivesJoined) {
        const index = parts.indexOf(port.side === 'input' ? node.input[port.index]! : node.output[port.index]!);
        return { couplings: [{ kind: 'slot', slot: { ...slot, value: joinedValue, offset: slot.offset + starts[index]! } }] };
      }
      const end = slot.offset + ctx.channels * slot.block;
      const index = starts.findIndex((s, i) => s <= slot.offset && end <= s + sizes[i]!);
      if (index < 0) return { blocked: `${node.opType} "${node.name}": the channels span several operands` };
      return { couplings: [{ kind: 'slot', slot: { ...slot, value: parts[index]!, offset: slot.offset - starts[index]! } }] };
    },
  };
}

export const concatRule = joinRule('output');
export const splitRule = joinRule('input');

/** Softmax / LogSoftmax: fine unless they normalize over the channel axis. */
export const softmaxRule: CouplingRule = {
  couple(node, port, slot, ctx) {
    const rank = ctx.shapeOf(node.input[0]!).length;
    if (normalizeAxis(attrInt(node, 'axis', -1), rank) === slot.axis) return { blocked: `${node.opType} "${node.name}" normalizes over the channel axis` };
    return { couplings: [{ kind: 'slot', slot: { ...slot, value: port.side === 'input' ? node.output[0]! : node.input[0]! } }] };
  },
};
