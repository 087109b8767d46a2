/**
 * Pooling. MaxPool routes dY to the argmax of each window (ORT's Indices output, recomputed when the
 * forward node lacks it; ties go to the one element ORT picks, as in PyTorch). AveragePool spreads
 * dY / divisor over each window with a depthwise ConvTranspose of ones. The global pools spread dY
 * over all positions (evenly for the mean; to the maxima, ties shared, for the max).
 */
import { attrInt, attrInts } from '../../onnx/attributes.js';
import type { NodeProto } from '../../onnx/proto.js';
import { RetortError } from '../../util/errors.js';
import type { GradientRule } from '../rule.js';
import { effectiveKernel, forwardWindow, windowAttrs, type SlidingWindow } from './window.js';

const product = (dims: readonly number[]): number => dims.reduce((a, d) => a * d, 1);

function poolWindow(node: NodeProto, xDims: number[], yDims: number[]): SlidingWindow {
  const kernel = attrInts(node, 'kernel_shape');
  if (!kernel) throw new RetortError('GRAPH_INVALID', `${node.opType} node "${node.name}" has no kernel_shape`);
  return forwardWindow(node, kernel, xDims.slice(2), yDims.slice(2));
}

/** The forward's pooling attributes with explicit pads (dilations only where the node has them: AveragePool gained them at opset 19). */
function poolAttrs(node: NodeProto, w: SlidingWindow) {
  const { strides, dilations, pads } = windowAttrs(w);
  return { kernel_shape: w.kernel, strides, pads, ceil_mode: attrInt(node, 'ceil_mode', 0), dilations: attrInts(node, 'dilations') ? dilations : undefined };
}

/** dX = ScatterAdd(zeros, Indices, dY) on the flattened tensor (Indices count over N*C*spatial). */
export const MaxPoolGrad: GradientRule = {
  backward: ({ b, node, opset, input, output, gradOutput, shape }) => {
    const X = input(0);
    const [xDims, yDims] = [shape(X), shape(output(0))];
    const w = poolWindow(node, xDims, yDims);
    if (attrInt(node, 'storage_order', 0) !== 0) {
      throw new RetortError('NO_GRADIENT_RULE', `MaxPool node "${node.name}": storage_order=1 (column-major indices) is not differentiable; use storage_order=0`);
    }
    // Before opset 16 ScatterElements cannot add, which is only right when no element lies in two windows.
    const overlapping = w.kernel.some((_, i) => effectiveKernel(w, i) > w.strides[i]!);
    if (opset < 16 && overlapping) {
      throw new RetortError(
        'NO_GRADIENT_RULE',
        `MaxPool node "${node.name}": overlapping windows (kernel ${JSON.stringify(w.kernel)}, strides ${JSON.stringify(w.strides)}) need ScatterElements with reduction=add, which needs opset 16 or later (the model has ${opset})`,
      );
    }
    const indices = output(1) || b.opN('MaxPool', [X], 2, poolAttrs(node, w))[1]!;
    const flat = product(yDims);
    const dX = b.op('ScatterElements', [b.zeros([product(xDims)]), b.reshape(indices, [flat]), b.reshape(gradOutput(0)!, [flat])], {
      axis: 0,
      reduction: opset >= 16 ? 'add' : undefined,
    });
    return [b.reshape(dX, xDims)];
  },
};

/**
 * dX = ConvTranspose(dY / divisor, ones[C, 1, k...], group=C). The divisor map (the window size, or
 * with count_include_pad=0 the real elements under each border window) is read off ORT itself:
 * 1/divisor = AveragePool(ones) / windowCounts, windowCounts = Conv(ones, ones kernel). Both depend
 * only on static shapes, so ORT folds them to constants.
 */
export const AveragePoolGrad: GradientRule = {
  backward: ({ b, node, input, output, gradOutput, shape }) => {
    const [xDims, yDims] = [shape(input(0)), shape(output(0))];
    const w = poolWindow(node, xDims, yDims);
    const [inSpatial, outSpatial] = [xDims.slice(2), yDims.slice(2)];
    // ceil_mode adds windows that run past the end pad; extend the pad so Conv and ConvTranspose see them too.
    const padsEnd = inSpatial.map((n, i) =>
      w.padsEnd[i]! + Math.max(0, w.strides[i]! * (outSpatial[i]! - 1) - (n + w.padsBegin[i]! + w.padsEnd[i]! - effectiveKernel(w, i))));
    const outputPadding = inSpatial.map((n, i) => n + w.padsBegin[i]! + padsEnd[i]! - effectiveKernel(w, i) - w.strides[i]! * (outSpatial[i]! - 1));
    const ones = b.expand(b.constFloat(1), [1, 1, ...inSpatial]);
    const meanOfOnes = b.op('AveragePool', [ones], { ...poolAttrs(node, w), count_include_pad: attrInt(node, 'count_include_pad', 0) });
    const windowCounts = b.op('Conv', [ones, b.expand(b.constFloat(1), [1, 1, ...w.kernel])], windowAttrs(w, padsEnd));
    const inverseDivisor = b.div(meanOfOnes, windowCounts);
    const channels = xDims[1]!;
    const spread = b.expand(b.constFloat(1), [channels, 1, ...w.kernel]);
    const dX = b.op('ConvTranspose', [b.mul(gradOutput(0)!, inverseDivisor), spread], {
      ...windowAttrs(w, padsEnd),
      group: channels,
      output_padding: outputPadding,
    });
    return [dX];
  },
};

/** Y = mean over spatial axes: dX = Expand(dY / (H*W), shape of X). */
export const GlobalAveragePoolGrad: GradientRule = {
  backward: ({ b, input, gradOutput, shape }) => {
    const xDims = shape(input(0));
    return [b.expand(b.scale(gradOutput(0)!, 1 / product(xDims.slice(2))), xDims)];
  },
};

/** Y = max over spatial axes: dX = dY at the maxima, shared evenly between ties (as ReduceMax). */
export const GlobalMaxPoolGrad: GradientRule = {
  backward: ({ b, input, output, gradOutput, shape }) => {
    const X = input(0);
    const xDims = shape(X);
    const isMax = b.toFloat(b.op('Equal', [X, output(0)]));
    const ties = b.reduceSum(isMax, xDims.slice(2).map((_, i) => i + 2), true);
    return [b.mul(b.expand(gradOutput(0)!, xDims), b.div(isMax, ties))];
  },
};
