/**
 * The defaults of an evaluation, shared by `retort eval`, `retort compare`, the recipe stages
 * `eval` and `compare` and a recipe run's final comparison, so the same model gets the same
 * numbers however it is evaluated.
 */
export const EVALUATION_DEFAULTS = {
  /** Percentile-bootstrap resamples of every interval; 0 for point estimates. */
  bootstrap: 1000,
  confidence: 0.95,
  /** Samples per ORT run when scoring. */
  batchSize: 1000,
  calibrationBins: 15,
  latency: { batch: 1, runs: 50, warmup: 5 },
  /** L-infinity attack budget (MNIST pixels are 0..1) and PGD steps. */
  epsilon: 0.1,
  pgdSteps: 10,
} as const;

/** PGD's step size when none is given: 2.5 * epsilon / steps (Madry et al. 2018). */
export function defaultPgdStepSize(epsilon: number, steps: number): number {
  return (2.5 * epsilon) / steps;
}
