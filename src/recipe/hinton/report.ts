/**
 * The demo's HTML report: every model through the same code path as `retort compare --teacher`
 * (src/report/), so the page shows accuracy vs size and vs latency, calibration, per-class accuracy
 * and the fidelity of each student to the teacher. Settings are cheaper than compare's defaults
 * (the recipe's bootstrap resamples, 200 by default, and 20 timed runs) so the report adds seconds,
 * not minutes; the table the demo prints keeps its own, longer latency measurement.
 */
import { compareModels, writeReport, type EvaluationSettings } from '../../report/index.js';

export const REPORT_FILE = 'report.html';

export interface DemoReportOptions {
  models: readonly { path: string; name: string }[];
  /** Name of the teacher among `models`: fidelity is measured against it. */
  teacher: string;
  seed: number;
  bootstrap: number;
  threads: number;
  html: string;
  title: string;
}

/** The report's settings: MNIST test set, intervals at 95%, batch-1 latency over 20 runs after 3 warm-up. */
export function reportSettings(seed: number, bootstrap: number, threads: number): EvaluationSettings {
  return {
    bootstrap: { resamples: bootstrap, confidence: 0.95, seed },
    batchSize: 1000,
    calibrationBins: 15,
    latency: { batch: 1, threads, runs: 20, warmup: 3 },
  };
}

export async function writeDemoReport(options: DemoReportOptions): Promise<{ html: string; seconds: number; settings: EvaluationSettings }> {
  const t0 = performance.now();
  const settings = reportSettings(options.seed, options.bootstrap, options.threads);
  const report = await compareModels({ models: options.models, data: { source: 'mnist' }, settings, teacher: options.teacher, title: options.title });
  writeReport(report, { html: options.html });
  return { html: options.html, seconds: (performance.now() - t0) / 1000, settings };
}
