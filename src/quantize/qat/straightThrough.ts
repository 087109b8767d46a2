/**
 * Straight-through estimators as forward-graph patterns (Bengio, Léonard & Courville 2013): the
 * forward pass computes one value, the backward pass differentiates another. Written as
 *   y = stop(f) + (g - stop(g))
 * the forward value is exactly f (g - g is exactly 0 for finite g) and the gradient is that of g.
 * `stop` is an Identity whose output the training graph lists in `stopGradients`, so the autodiff
 * engine needs no quantization-specific case.
 */
import type { GraphBuilder } from '../../autodiff/builder.js';

/** Collects the values the training graph must not differentiate through. */
export class StopGradients {
  readonly values: string[] = [];

  constructor(private readonly b: GraphBuilder) {}

  /** An Identity of `x` that carries no gradient. */
  stop(x: string): string {
    const y = this.b.identity(x);
    this.values.push(y);
    return y;
  }

  /** Forward value `forward`, gradient of `backward` (both of the same shape, or broadcastable). */
  straightThrough(forward: string, backward: string): string {
    return this.b.add(this.stop(forward), this.b.sub(backward, this.stop(backward)));
  }

  /**
   * Forward value x, gradient scaled by `factor` (LSQ's gradient scale, Esser et al. 2020, eq. 4:
   * x·g - stop(x·g) + stop(x)).
   */
  scaleGradient(x: string, factor: number): string {
    if (factor === 1) return x;
    const scaled = this.b.scale(x, factor);
    return this.b.add(this.stop(x), this.b.sub(scaled, this.stop(scaled)));
  }
}
