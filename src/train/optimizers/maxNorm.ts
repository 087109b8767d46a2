/**
 * Max-norm constraint (Hinton et al. 2012, "Improving neural networks by preventing co-adaptation";
 * Srivastava et al. 2014, section 5.1): after each update, every hidden unit's incoming weight
 * vector is rescaled so its L2 norm is at most c. As torch.renorm: w * min(1, c / (norm + 1e-7)).
 */
import type { GraphBuilder } from '../../autodiff/builder.js';

export interface MaxNormConstraint {
  /** Regular expression (source) matched against parameter names, e.g. "^fc\\d+\\.weight$". */
  parameters: string;
  /** The largest allowed L2 norm of one unit's incoming weights. */
  maxNorm: number;
  /**
   * Axis indexing the units: 0 for PyTorch layouts (Linear [out, in], Conv [out, in, k, k]), 1 for
   * a MatMul weight [in, out]. The norm is taken over every other axis.
   */
  unitAxis?: number;
}

export function applyMaxNorm(b: GraphBuilder, weight: string, dims: readonly number[], constraint: MaxNormConstraint): string {
  const unitAxis = constraint.unitAxis ?? 0;
  const axes = dims.map((_, i) => i).filter((i) => i !== unitAxis);
  const squares =
    b.opset >= 18
      ? b.op('ReduceSumSquare', [weight, b.constInt64(axes, [axes.length])], { keepdims: 1 })
      : b.op('ReduceSumSquare', [weight], { axes, keepdims: 1 });
  const norm = b.add(b.sqrt(squares), b.constFloat(1e-7));
  const scale = b.op('Min', [b.constFloat(1), b.div(b.constFloat(constraint.maxNorm), norm)]);
  return b.mul(weight, scale);
}
