/**
 * The Pareto front of a trade-off: the models no other model beats on both axes at once. With cost
 * on x (size, latency; lower is better) and quality on y (accuracy; higher is better), a model is
 * dominated when another costs no more and scores no less, and is strictly better on one of them.
 */

export interface TradeOffPoint {
  /** Cost: lower is better. */
  cost: number;
  /** Quality: higher is better. */
  quality: number;
}

/**
 * Indices of the non-dominated points, cheapest first. Points with a non-finite coordinate are
 * never on the front; identical points do not dominate each other, so both stay.
 */
export function paretoFront(points: readonly TradeOffPoint[]): number[] {
  const finite = (p: TradeOffPoint): boolean => Number.isFinite(p.cost) && Number.isFinite(p.quality);
  const dominates = (a: TradeOffPoint, b: TradeOffPoint): boolean =>
    a.cost <= b.cost && a.quality >= b.quality && (a.cost < b.cost || a.quality > b.quality);
  return points
    .map((p, i) => i)
    .filter((i) => finite(points[i]!) && !points.some((q) => finite(q) && dominates(q, points[i]!)))
    .sort((a, b) => points[a]!.cost - points[b]!.cost || points[b]!.quality - points[a]!.quality || a - b);
}
