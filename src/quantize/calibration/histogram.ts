/**
 * A streaming histogram of |x| with a fixed number of bins over [0, maxEdge]: memory is one bin array
 * per tensor however many batches pass. When a batch holds a larger |x| the bin width doubles
 * (neighbouring bins merge, exactly) until it fits, so counts are never interpolated. The exact
 * minimum and maximum are kept beside it. TensorRT's entropy calibration histograms |x| the same way.
 */
import { RetortError } from '../../util/errors.js';

export const DEFAULT_HISTOGRAM_BINS = 2048;

export class AbsHistogram {
  readonly counts: Float64Array;
  /** Upper edge of the last bin; 0 until a nonzero value arrives. */
  maxEdge = 0;
  min = Infinity;
  max = -Infinity;
  total = 0;

  constructor(readonly bins = DEFAULT_HISTOGRAM_BINS) {
    if (!(Number.isInteger(bins) && bins >= 2 && bins % 2 === 0)) throw new RetortError('BAD_ARGUMENT', `Histogram bins must be an even integer >= 2, got ${bins}`);
    this.counts = new Float64Array(bins);
  }

  get binWidth(): number {
    return this.maxEdge / this.bins;
  }

  add(values: ArrayLike<number>): void {
    let absMax = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (Number.isNaN(v)) throw new RetortError('NON_FINITE', 'Calibration saw NaN in an activation');
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
      const a = Math.abs(v);
      if (a > absMax) absMax = a;
    }
    if (!Number.isFinite(absMax)) throw new RetortError('NON_FINITE', 'Calibration saw an infinite activation');
    if (this.maxEdge === 0 && absMax > 0) this.maxEdge = absMax;
    while (absMax > this.maxEdge) this.doubleWidth();
    const width = this.binWidth;
    for (let i = 0; i < values.length; i++) {
      const a = Math.abs(values[i]!);
      const bin = width === 0 ? 0 : Math.min(this.bins - 1, Math.floor(a / width));
      this.counts[bin]! += 1;
    }
    this.total += values.length;
  }

  /** Merge bins pairwise into the lower half: each new bin covers exactly two old ones. */
  private doubleWidth(): void {
    const half = this.bins / 2;
    for (let i = 0; i < half; i++) this.counts[i] = this.counts[2 * i]! + this.counts[2 * i + 1]!;
    this.counts.fill(0, half);
    this.maxEdge *= 2;
  }

  /** Whether every value seen was >= 0 (ReLU outputs): ranges then start at 0. */
  get nonNegative(): boolean {
    return this.min >= 0;
  }
}
