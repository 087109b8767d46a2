/**
 * The `eval` stage on a text entry: one language model scored on the entry's validation tokens —
 * validation loss (nats/token), perplexity, bits per token, next-token accuracy — with its size, as
 * report.json and report.html (src/report/languageModels.ts). The classification settings
 * (bootstrap, calibration bins, robustness, latency) do not apply to text and are not used.
 */
import { join } from 'node:path';
import { compareLanguageModels, writeLanguageModelReport } from '../../report/index.js';
import type { ModelInput, StageContext, StageOutput, TextDataInput } from '../pipeline/stageKind.js';
import { textValidation } from '../pipeline/textData.js';

export async function evaluateTextModel(ctx: StageContext, model: ModelInput, input: { name: string; text: TextDataInput }, options: { title?: string | undefined; started: number }): Promise<StageOutput> {
  const name = model.label ?? 'model';
  const report = await compareLanguageModels({
    models: [{ path: model.path, name }],
    data: { name: input.name, validation: textValidation(input.name, input.text) },
    title: options.title ?? `retort eval: ${name}`,
    threads: ctx.threads,
  });
  const artifacts = { report: join(ctx.dir, 'report.json'), html: join(ctx.dir, 'report.html') };
  writeLanguageModelReport(report, { json: artifacts.report, html: artifacts.html });
  const m = report.models[0]!;
  const v = m.validation;
  ctx.log(`${name}: validation loss ${v.loss.toFixed(4)} nats/token, perplexity ${v.perplexity.toFixed(2)} on ${v.tokens} tokens (windows of ${report.data.context})`);
  return {
    artifacts,
    metrics: {
      parameters: m.parameters,
      nonZeroParameters: m.nonZeroParameters,
      fileBytes: m.fileBytes,
      gzipBytes: m.gzipBytes,
      validationLoss: v.loss,
      perplexity: v.perplexity,
      bitsPerToken: v.bitsPerToken,
      validationAccuracy: v.accuracy,
      validationTokens: v.tokens,
      context: report.data.context,
      seconds: (performance.now() - options.started) / 1000,
    },
  };
}
