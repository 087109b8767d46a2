/**
 * ORT latency of a model as a user would run it: a CPU session on the saved bytes, warm-up runs
 * first, then p50/p95 over timed runs at one stated batch size and thread count
 * (src/runtime/timing.ts measureLatency).
 */
import type { ModelProto } from '../../onnx/proto.js';
import type { Feeds } from '../../runtime/session.js';
import { Session } from '../../runtime/session.js';
import { resolveInputShapes, sampleFeeds } from '../../runtime/shapeInference.js';
import { measureLatency } from '../../runtime/timing.js';
import { RetortError } from '../../util/errors.js';
import type { Latency } from './types.js';

export interface LatencyOptions {
  batch: number;
  threads: number;
  runs: number;
  warmup: number;
  /**
   * Real inputs for the timed runs (e.g. the first `batch` test images); seeded random inputs of
   * the model's declared shapes with the batch axis set to `batch` otherwise.
   */
  feeds?: Feeds;
  name?: string;
}

/**
 * Seeded uniform [0, 1) inputs, every input's first axis set to the batch size; an input that
 * declares a fixed first axis of another size is an error, not a silently different batch.
 */
export function batchFeeds(model: ModelProto, batch: number, seed = 0): Feeds {
  const declared = resolveInputShapes(model, {}, 0);
  const batched: Record<string, number[]> = {};
  for (const [name, dims] of Object.entries(declared)) {
    if (dims.length > 0 && dims[0]! > 0 && dims[0] !== batch) {
      throw new RetortError('BAD_ARGUMENT', `Latency batch ${batch}: input "${name}" declares a fixed batch of ${dims[0]}; time it at batch ${dims[0]}`);
    }
    batched[name] = dims.length > 0 ? [batch, ...dims.slice(1).map((d) => (d > 0 ? d : 1))] : dims;
  }
  return sampleFeeds(model, batched, seed);
}

export async function measureModelLatency(model: ModelProto, modelBytes: Uint8Array, options: LatencyOptions): Promise<Latency> {
  const session = await Session.create(modelBytes, { threads: options.threads, name: options.name });
  try {
    const feeds = options.feeds ?? batchFeeds(model, options.batch);
    const stats = await measureLatency(session, feeds, options.runs, options.warmup);
    return {
      p50Ms: stats.p50Ms,
      p95Ms: stats.p95Ms,
      meanMs: stats.meanMs,
      throughput: (options.batch * 1000) / stats.meanMs,
      batch: options.batch,
      threads: options.threads,
      runs: stats.runs,
      warmup: stats.warmup,
      provider: session.provider,
    };
  } finally {
    await session.dispose();
  }
}
