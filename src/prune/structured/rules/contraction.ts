/**
 * Contractions: the ops whose weights hold the prunable units. Reached at the output, their output
 * units' rows (filters, neurons) go; reached at the data input, their input columns go and the
 * channels stop there (they are summed over).
 */
import { attrInt } from '../../../onnx/attributes.js';
import type { Coupling, CouplingRule, ParameterSlice } from '../coupling.js';

const slice = (parameter: string, axis: number, role: ParameterSlice['role']): Coupling => ({
  kind: 'slice',
  slice: { parameter, axis, offset: 0, block: 1, role },
});

/** Conv: weight [M, C/group, k...]; channels on axis 1. Depthwise (group = C = M) passes channels through. */
export const convRule: CouplingRule = {
  sourceAxis: (node, ctx) => (ctx.isParameter(node.input[1]!) ? 1 : undefined),
  couple(node, port, slot, ctx) {
    const weight = node.input[1]!;
    const bias = node.input[2];
    if (!ctx.isParameter(weight)) return { blocked: `Conv "${node.name}" has a computed weight` };
    if (slot.axis !== 1 || slot.block !== 1) return { blocked: `Conv "${node.name}" reached on axis ${slot.axis}, not its channel axis` };
    const group = attrInt(node, 'group', 1);
    const [outChannels, perGroup] = ctx.shapeOf(weight) as [number, number];
    const outputSlices: Coupling[] = [slice(weight, 0, 'out')];
    if (bias) outputSlices.push(slice(bias, 0, 'channel'));
    if (group === 1) {
      if (port.side === 'output') return { couplings: outputSlices.map((c) => (c.kind === 'slice' ? { ...c, slice: { ...c.slice, offset: slot.offset } } : c)) };
      if (port.index !== 0) return { blocked: `Conv "${node.name}": channels reach input ${port.index}` };
      return { couplings: [{ kind: 'slice', slice: { parameter: weight, axis: 1, offset: slot.offset, block: 1, role: 'in' } }] };
    }
    if (perGroup === 1 && group === outChannels && slot.offset === 0) {
      // Depthwise: output channel c reads input channel c only, so both sides shrink together.
      const other = port.side === 'output' ? { value: node.input[0]!, axis: 1 } : { value: node.output[0]!, axis: 1 };
      return {
        couplings: [...outputSlices, { kind: 'slot', slot: { ...slot, ...other } }, { kind: 'channelCountAttribute', node: node.name, attribute: 'group' }],
      };
    }
    return { blocked: `Conv "${node.name}" is grouped (group ${group}) but not depthwise` };
  },
};

/** Gemm: Y = A B' + C with B' = B or B^T (transB); units are Y's columns. */
export const gemmRule: CouplingRule = {
  sourceAxis: (node, ctx) => (ctx.weightOf(node.input[1]!) && !attrInt(node, 'transA', 0) ? 1 : undefined),
  couple(node, port, slot, ctx) {
    const weight = ctx.weightOf(node.input[1]!);
    if (!weight) return { blocked: `Gemm "${node.name}" has a computed B` };
    if (attrInt(node, 'transA', 0)) return { blocked: `Gemm "${node.name}" has transA` };
    if (slot.axis !== 1) return { blocked: `Gemm "${node.name}" reached on axis ${slot.axis}` };
    const transB = attrInt(node, 'transB', 0) === 1 !== weight.transposed;
    const at = (role: 'in' | 'out'): Coupling => ({
      kind: 'slice',
      slice: { parameter: weight.parameter, axis: (role === 'out') === transB ? 0 : 1, offset: slot.offset, block: slot.block, role },
    });
    if (port.side === 'input' && port.index === 0) return { couplings: [at('in')] };
    if (port.side !== 'output') return { blocked: `Gemm "${node.name}": channels reach input ${port.index}` };
    const couplings = [at('out')];
    const c = node.input[2];
    if (c) {
      const dims = ctx.shapeOf(c);
      const last = dims.length - 1;
      if (last >= 0 && dims[last]! > 1) {
        couplings.push(
          ctx.isParameter(c)
            ? { kind: 'slice', slice: { parameter: c, axis: last, offset: slot.offset, block: slot.block, role: 'channel' } }
            : { kind: 'slot', slot: { ...slot, value: c, axis: last } },
        );
      }
    }
    return { couplings };
  },
};

/** MatMul with a 2-D weight B [K, N]: units are the last axis of Y. */
export const matMulRule: CouplingRule = {
  sourceAxis(node, ctx) {
    return ctx.weightOf(node.input[1]!) && ctx.shapeOf(node.input[1]!).length === 2 ? ctx.shapeOf(node.output[0]!).length - 1 : undefined;
  },
  couple(node, port, slot, ctx) {
    const weight = ctx.weightOf(node.input[1]!);
    if (!weight || ctx.shapeOf(node.input[1]!).length !== 2) return { blocked: `MatMul "${node.name}" has no 2-D weight as B` };
    const rank = ctx.shapeOf(port.side === 'output' ? node.output[0]! : node.input[port.index]!).length;
    if (port.side === 'input' && port.index !== 0) return { blocked: `MatMul "${node.name}": channels reach its weight` };
    if (slot.axis !== rank - 1) return { blocked: `MatMul "${node.name}" reached on axis ${slot.axis}, not the last` };
    const kAxis = weight.transposed ? 1 : 0;
    const axis = port.side === 'input' ? kAxis : 1 - kAxis;
    const role = port.side === 'input' ? 'in' : 'out';
    return { couplings: [{ kind: 'slice', slice: { parameter: weight.parameter, axis, offset: slot.offset, block: slot.block, role } }] };
  },
};
