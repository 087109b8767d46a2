/**
 * A hand-written ComparisonReport (made-up numbers) for tests of the HTML view alone; the first model
 * has a Huffman size, the last is the teacher the others' fidelity is measured against.
 */
import { uncertaintyFidelity } from '../../src/eval/bootstrap.js';
import type { ComparisonReport, Estimate, FidelityEntry, ModelEntry, PairedDifference } from '../../src/report/types.js';

function withInterval(value: number, halfWidth: number): Estimate {
  return { value, interval: { estimate: value, lower: value - halfWidth, upper: Math.min(1, value + halfWidth), confidence: 0.95, resamples: 100 } };
}

/** A made-up paired difference around `estimate`, skewed up so that only large gaps exclude 0. */
function difference(estimate: number, fractionAGreater: number): PairedDifference {
  return { estimate, lower: estimate - 0.08, upper: estimate + 0.12, confidence: 0.95, resamples: 100, fractionAGreater, fractionBGreater: 1 - fractionAGreater };
}

/** Fidelity of `student` to `teacher`: made-up agreement and KL, differences and UQ fidelity from the entries' own numbers. */
function fidelity(student: ModelEntry, teacher: ModelEntry): FidelityEntry {
  const [s, t] = [student.metrics, teacher.metrics];
  return {
    teacher: teacher.name,
    agreement: { value: 0.9 },
    kl: { value: 0.1 },
    kendallTau: 0.5,
    difference: { accuracy: difference(s.accuracy.value - t.accuracy.value, 0.1), nll: difference(s.nll.value - t.nll.value, 0.4) },
    uncertainty: {
      accuracy: uncertaintyFidelity(t.accuracy.interval!, s.accuracy.interval!),
      nll: uncertaintyFidelity(t.nll.interval!, s.nll.interval!),
      ece: uncertaintyFidelity(t.ece.interval!, s.ece.interval!),
    },
  };
}

function entry(name: string, path: string, accuracy: number, raw: number, p50Ms: number, huffman?: number): ModelEntry {
  return {
    name,
    path,
    parameters: 1000,
    nonZeroParameters: 800,
    bytes: { raw, gzip: Math.round(raw * 0.8), ...(huffman === undefined ? {} : { huffman }) },
    macs: { total: 5000, inputShapes: { input: [1, 4] }, uncounted: [] },
    latency: { p50Ms, p95Ms: p50Ms * 1.5, meanMs: p50Ms, throughput: 1000 / p50Ms, batch: 1, threads: 1, runs: 10, warmup: 2, provider: 'cpu' },
    perLayer: [{ name: `${name}/fc1`, opType: 'Gemm', weights: 800, sparsity: 0.2, bits: 8, macs: 800 }],
    metrics: {
      samples: 10,
      accuracy: withInterval(accuracy, 0.15),
      nll: withInterval(1.5 - accuracy, 0.05),
      brier: { value: 0.2 },
      ece: withInterval(0.05, 0.02),
      reliability: [
        { lower: 0, upper: 0.5, count: 4, confidence: 0.4, accuracy: 0.5 },
        { lower: 0.5, upper: 1, count: 6, confidence: 0.8, accuracy: 0.75 },
      ],
      perClass: [
        { class: 0, support: 5, precision: 0.8, recall: 0.8, f1: 0.8 },
        { class: 1, support: 5, precision: null, recall: 0, f1: null },
      ],
      confusion: [[4, 1], [5, 0]],
      fairness: {
        perClass: [
          { class: 0, samples: 5, accuracy: 0.8, ece: 0.1 },
          { class: 1, samples: 5, accuracy: 0, ece: 0.55 },
        ],
        worstClass: { class: 1, accuracy: 0 },
        bestClass: { class: 0, accuracy: 0.8 },
        accuracyGap: 0.8,
        eceGap: 0.45,
      },
    },
  };
}

export function sampleReport(names: readonly string[]): ComparisonReport {
  const models = names.map((n, i) => entry(n, `/models/${n}.onnx`, 0.6 + 0.1 * i, 1000 * (i + 1), 0.1 * (3 - i), i === 0 ? 300 : undefined));
  const teacher = models[models.length - 1]!;
  for (const m of models) if (m !== teacher) m.fidelity = fidelity(m, teacher);
  return {
    title: `comparison of ${names.join(', ')}`,
    created: '2025-01-01T00:00:00.000Z',
    retortVersion: '0.0.0',
    data: { name: 'synthetic', split: 'test', samples: 10 },
    settings: { bootstrap: 100, confidence: 0.95, seed: 0, batchSize: 10, calibrationBins: 2 },
    teacher: teacher.name,
    models,
  };
}
