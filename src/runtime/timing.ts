/** Latency of repeated ORT runs: warm-up first, then percentiles over timed runs. */
import type { Feeds, Session } from './session.js';

export interface LatencyStats {
  runs: number;
  warmup: number;
  p50Ms: number;
  p95Ms: number;
  meanMs: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export async function measureLatency(session: Session, feeds: Feeds, runs = 50, warmup = 5): Promise<LatencyStats> {
  for (let i = 0; i < warmup; i++) await session.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return {
    runs,
    warmup,
    p50Ms: percentile(times, 50),
    p95Ms: percentile(times, 95),
    meanMs: times.reduce((a, b) => a + b, 0) / runs,
  };
}
