/**
 * The `eval` stage: what `retort eval MODEL --data NAME` reports — accuracy, NLL, Brier and ECE
 * with bootstrap intervals, per-class scores and fairness, size, MACs and ORT latency, optionally
 * robustness — for one model on the test split of a recipe data entry, as report.json and
 * report.html in the stage folder. Both call compareModels (src/report/compare.ts). On a text entry:
 * a language model's validation loss and perplexity (evalText.ts).
 */
import { join } from 'node:path';
import { compareModels, writeReport, type ComparisonReport, type ModelEntry } from '../../report/index.js';
import { testSetOf } from '../pipeline/data.js';
import type { StageContext, StageKind } from '../pipeline/stageKind.js';
import { evaluationSettingsOf, reportStageKwargsSchema, type ReportStageKwargs } from './evaluationKwargs.js';
import { evaluateTextModel } from './evalText.js';


/** The numbers a model's entry gives the manifest: cost and the main task metrics. */
export function modelEntryMetrics(m: ModelEntry): Record<string, unknown> {
  return {
    parameters: m.parameters,
    nonZeroParameters: m.nonZeroParameters,
    fileBytes: m.bytes.raw,
    gzipBytes: m.bytes.gzip,
    macs: m.macs.total,
    testSamples: m.metrics.samples,
    testAccuracy: m.metrics.accuracy.value,
    testError: 1 - m.metrics.accuracy.value,
    nll: m.metrics.nll.value,
    ece: m.metrics.ece.value,
    latencyP50Ms: m.latency.p50Ms,
    ...(m.robustness ? { robustAccuracy: m.robustness.accuracy.value } : {}),
    ...(m.fidelity ? { agreement: m.fidelity.agreement.value, klToTeacher: m.fidelity.kl.value } : {}),
  };
}

/** report.json and report.html in the stage folder. */
export function writeStageReport(ctx: StageContext, report: ComparisonReport): Record<string, string> {
  const artifacts = { report: join(ctx.dir, 'report.json'), html: join(ctx.dir, 'report.html') };
  writeReport(report, { json: artifacts.report, html: artifacts.html });
  return artifacts;
}

export const evalStage: StageKind<ReportStageKwargs> = {
  key: 'eval',
  summary: 'Evaluate one model on the test split of a data entry, as `retort eval` does: accuracy, NLL, Brier, ECE with intervals, per-class scores, size, MACs, latency, optional robustness (a text entry: validation loss and perplexity of a language model)',
  inputs: [
    { name: 'model', kind: 'model', required: true, description: 'the ONNX classifier (first input: the samples, first output: the logits)' },
    { name: 'data', kind: 'data', required: true, description: 'the data entry whose test split scores it' },
  ],
  outputs: ['report', 'html'],
  kwargs: reportStageKwargsSchema,
  async run(ctx, kwargs) {
    const started = performance.now();
    const model = ctx.models.model!;
    const data = ctx.data.data!;
    // A language model on a text entry: validation loss and perplexity (evalText.ts).
    if (data.text) return evaluateTextModel(ctx, model, { name: data.name, text: data.text }, { title: kwargs.title, started });
    const name = model.label ?? 'model';
    const report = await compareModels({
      models: [{ path: model.path, name }],
      data: testSetOf(data),
      settings: evaluationSettingsOf(kwargs, { seed: ctx.seed, threads: ctx.threads }),
      ...(kwargs.title ? { title: kwargs.title } : {}),
    });
    const artifacts = writeStageReport(ctx, report);
    const entry = report.models[0]!;
    ctx.log(`${name}: test accuracy ${(100 * entry.metrics.accuracy.value).toFixed(2)}% on ${entry.metrics.samples} samples`);
    return { artifacts, metrics: { ...modelEntryMetrics(entry), seconds: (performance.now() - started) / 1000 } };
  },
};
