/**
 * Gradient clipping by global norm (Pascanu et al. 2013), as PyTorch's `clip_grad_norm_`: the L2
 * norm over all gradients together, and every gradient scaled by min(1, maxNorm / (norm + 1e-6)).
 * Computed in-graph, so it costs one reduction per gradient and no round trip to JavaScript.
 */
import type { GraphBuilder } from '../../autodiff/builder.js';

export interface ClippedGradients {
  gradients: string[];
  /** The global norm before clipping (a useful metric: spikes precede divergence). */
  norm: string;
}

export function globalNorm(b: GraphBuilder, gradients: readonly string[]): string {
  // ReduceSumSquare with no axes reduces everything at every opset (axes moved to an input at 18).
  const squares = gradients.map((g) => b.op('ReduceSumSquare', [g], { keepdims: 0 }));
  return b.sqrt(b.sum(squares));
}

export function clipByGlobalNorm(b: GraphBuilder, gradients: readonly string[], maxNorm: number): ClippedGradients {
  const norm = globalNorm(b, gradients);
  const coefficient = b.op('Min', [b.constFloat(1), b.div(b.constFloat(maxNorm), b.add(norm, b.constFloat(1e-6)))]);
  return { gradients: gradients.map((g) => b.mul(g, coefficient)), norm };
}
