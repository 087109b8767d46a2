/**
 * Elementwise ops with numpy broadcasting (Add, Mul, Relu, Erf, Where, ...): every data input whose
 * dim on the channel axis is not broadcast carries the same channels, and so does the output. This
 * is what couples the members of a residual group: both operands of the Add must lose the same
 * channels. A parameter operand (a bias, a per-channel scale) is sliced with them.
 */
import type { Coupling, CouplingRule } from '../coupling.js';

export const elementwiseRule: CouplingRule = {
  couple(node, port, slot, ctx) {
    const output = node.output[0]!;
    const outRank = ctx.shapeOf(output).length;
    const arriving = port.side === 'output' ? output : node.input[port.index]!;
    const outAxis = slot.axis + (outRank - ctx.shapeOf(arriving).length);
    const outDim = ctx.shapeOf(output)[outAxis]!;
    const couplings: Coupling[] = [{ kind: 'slot', slot: { ...slot, value: output, axis: outAxis } }];
    for (const input of new Set(node.input)) {
      if (!input) continue;
      const dims = ctx.shapeOf(input);
      const axis = outAxis - (outRank - dims.length);
      if (axis < 0 || dims[axis] === 1) continue;
      if (dims[axis] !== outDim) return { blocked: `${node.opType} "${node.name}": input "${input}" has ${dims[axis]} elements on the channel axis, the output ${outDim}` };
      if (ctx.isParameter(input)) couplings.push({ kind: 'slice', slice: { parameter: input, axis, offset: slot.offset, block: slot.block, role: 'channel' } });
      else if (ctx.graph.producerOf(input) || !ctx.graph.initializer(input)) couplings.push({ kind: 'slot', slot: { ...slot, value: input, axis } });
      else return { blocked: `${node.opType} "${node.name}": non-float constant "${input}" varies along the channel axis` };
    }
    return { couplings };
  },
};

/** Ops whose extra outputs mirror output 0 (Dropout's mask). */
export const dropoutRule: CouplingRule = {
  couple(node, port, slot, ctx) {
    const result = elementwiseRule.couple({ ...node, input: [node.input[0]!], output: [node.output[0]!] }, port.side === 'input' ? { side: 'input', index: 0 } : { side: 'output', index: 0 }, slot, ctx);
    if ('blocked' in result) return result;
    const mask = node.output[1];
    if (mask) result.couplings.push({ kind: 'slot', slot: { ...slot, value: mask } });
    return result;
  },
};
