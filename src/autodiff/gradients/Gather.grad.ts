/**
 * Y = Gather(X, indices; axis): dX[.., k, ..] = sum of dY[.., n, ..] over the positions n where
 * indices[n] = k. Indices repeat (a token id used twice), so contributions must accumulate:
 *   opset 16+: ScatterElements(zeros, indices, dY; axis, reduction='add');
 *   before 16: OneHot(indices)ᵀ @ dY, a K × N float matrix (K = X's size along `axis`, N = number
 *     of indices). For token embeddings that is vocabulary × batch·sequence floats, e.g.
 *     50,000 × 512 × 4 B ≈ 100 MB per step: prefer opset 16+ for large vocabularies.
 * Negative indices are allowed by Gather, ScatterElements and OneHot alike.
 */
import { attrInt } from '../../onnx/attributes.js';
import type { GradientRule } from '../rule.js';

const product = (dims: readonly number[]) => dims.reduce((n, d) => n * d, 1);

export const GatherGrad: GradientRule = {
  nonDifferentiableInputs: [1],
  backward: ({ b, node, opset, input, gradOutput, shape }) => {
    const dims = shape(input(0));
    const given = attrInt(node, 'axis', 0);
    const axis = given < 0 ? given + dims.length : given;
    const [before, size, after] = [dims.slice(0, axis), dims[axis]!, dims.slice(axis + 1)];
    const count = product(shape(input(1)));
    const indices = b.reshape(b.op('Cast', [input(1)], { to: 7 }), [count]);
    if (opset >= 16) {
      // dY with the index dims flattened to one axis, and an index for each of its elements.
      const flatDims = [...before, count, ...after];
      const dY = b.reshape(gradOutput(0)!, flatDims);
      const along = flatDims.map((d, i) => (i === axis ? d : 1));
      const scatterIndices = b.expand(b.reshape(indices, along), flatDims);
      return [b.op('ScatterElements', [b.zeros(dims), scatterIndices, dY], { axis, reduction: 'add' })];
    }
    // oneHot[k, n] = (indices[n] == k); dX[p, k, q] = sum_n oneHot[k, n] * dY[p, n, q].
    const oneHot = b.op('OneHot', [indices, b.constInt64(size), b.constFloat([0, 1])], { axis: 0 });
    const dY = b.reshape(gradOutput(0)!, [product(before), count, product(after)]);
    return [b.reshape(b.matmul(oneHot, dY), dims)];
  },
};
