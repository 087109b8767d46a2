/** A hand-written ComparisonReport (made-up numbers) for tests of the HTML view alone; the first model has a Huffman size. */
import type { ComparisonReport, ModelEntry } from '../../src/report/types.js';

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
      accuracy: { value: accuracy, interval: { estimate: accuracy, lower: accuracy - 0.1, upper: Math.min(1, accuracy + 0.1), confidence: 0.95, resamples: 100 } },
      nll: { value: 0.5 },
      brier: { value: 0.2 },
      ece: { value: 0.05 },
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
  return {
    title: `comparison of ${names.join(', ')}`,
    created: '2025-01-01T00:00:00.000Z',
    retortVersion: '0.0.0',
    data: { name: 'synthetic', split: 'test', samples: 10 },
    settings: { bootstrap: 100, confidence: 0.95, seed: 0, batchSize: 10, calibrationBins: 2 },
    models: names.map((n, i) => entry(n, `/models/${n}.onnx`, 0.6 + 0.1 * i, 1000 * (i + 1), 0.1 * (3 - i), i === 0 ? 300 : undefined)),
  };
}
