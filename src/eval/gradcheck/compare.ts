/**
 * How far a computed tensor is from a reference: the largest absolute difference divided by the
 * reference's largest magnitude. Scale-aware, so tiny elements near zero do not dominate, and 0
 * when equal; what `retort gradcheck` reports and tolerances apply to.
 */
export function relativeError(actual: ArrayLike<number>, reference: ArrayLike<number>): number {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < reference.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i]! - reference[i]!));
    maxRef = Math.max(maxRef, Math.abs(reference[i]!));
  }
  if (actual.length !== reference.length) return Infinity;
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}
