/**
 * What `retort quantize` measures on the float and the quantized model: bytes (raw, gzip), test
 * accuracy when data is given, and ORT latency per batch size (src/eval/cost). Quantized models are
 * not always faster: QDQ graphs that ORT cannot fuse, DynamicQuantizeLinear on tiny layers and fp16
 * on CPUs without native half arithmetic all add work, so a slowdown is reported, not hidden.
 */
import type { Dataset } from '../data/dataset.js';
import { measureModelLatency, modelBytes, type Latency } from '../eval/cost/index.js';
import { testEvaluation } from '../eval/modelSummary.js';
import type { ModelProto } from '../onnx/proto.js';

export interface ModelMeasurement {
  bytes: number;
  gzipBytes: number;
  /** Test accuracy on the --data test split (first --limit images); null without --data. */
  accuracy: number | null;
  latency: Latency[];
}

export interface MeasureSettings {
  test: Dataset | null;
  latencyBatches: readonly number[];
  threads: number;
  runs: number;
  warmup: number;
}

export async function measureModel(model: ModelProto, bytes: Uint8Array, name: string, settings: MeasureSettings): Promise<ModelMeasurement> {
  const size = modelBytes(bytes);
  const accuracy = settings.test ? (await testEvaluation(bytes, settings.test, { threads: settings.threads, batchSize: 500, name })).accuracy : null;
  const latency: Latency[] = [];
  for (const batch of settings.latencyBatches) {
    latency.push(await measureModelLatency(model, bytes, { batch, threads: settings.threads, runs: settings.runs, warmup: settings.warmup, name }));
  }
  return { bytes: size.raw, gzipBytes: size.gzip, accuracy, latency };
}

export interface Slowdown {
  batch: number;
  provider: string;
  floatMs: number;
  quantizedMs: number;
  /** quantized p50 / float p50, above 1. */
  ratio: number;
}

/** Batch sizes at which the quantized model's p50 latency is above the float model's on the same provider. */
export function slowdowns(float: readonly Latency[], quantized: readonly Latency[]): Slowdown[] {
  const out: Slowdown[] = [];
  for (const q of quantized) {
    const f = float.find((l) => l.batch === q.batch && l.provider === q.provider);
    if (f && q.p50Ms > f.p50Ms) out.push({ batch: q.batch, provider: q.provider, floatMs: f.p50Ms, quantizedMs: q.p50Ms, ratio: q.p50Ms / f.p50Ms });
  }
  return out;
}

export function slowdownWarning(s: readonly Slowdown[]): string | null {
  if (s.length === 0) return null;
  const parts = s.map((d) => `batch ${d.batch}: ${d.quantizedMs.toFixed(3)} ms vs ${d.floatMs.toFixed(3)} ms float (${d.ratio.toFixed(2)}x)`);
  return `WARNING: the quantized model is slower than the float model on ${s[0]!.provider} (p50 ${parts.join('; ')})`;
}
