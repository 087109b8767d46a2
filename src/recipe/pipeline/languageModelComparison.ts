/**
 * The end of a run whose report data is a text entry: every model scored on the entry's validation
 * tokens — validation loss (nats/token), perplexity, bits per token, size — in place of the
 * classification report (which scores classes on a test split), written to the run folder as
 * comparison.json, comparison.txt and report.html (src/report/languageModels.ts). With a teacher,
 * each model's samples are judged by it as well.
 */
import { join } from 'node:path';
import { compareLanguageModels, writeLanguageModelReport, type ModelFile } from '../../report/index.js';
import type { ComparisonOptions, RunComparison } from './comparison.js';
import type { TextDataInput } from './stageKind.js';
import { textValidation } from './textData.js';
import type { Recipe } from './validate.js';

export interface LanguageModelRunComparison extends Pick<ComparisonOptions, 'out' | 'threads' | 'log'> {
  models: readonly ModelFile[];
  teacher: string | undefined;
  /** The data entry's name, and its text. */
  dataName: string;
  text: TextDataInput;
  /** File names in the run folder (comparison.ts COMPARISON_FILES). */
  files: { json: string; html: string; table: string };
}

export async function compareLanguageModelRun(recipe: Recipe, options: LanguageModelRunComparison): Promise<RunComparison | null> {
  const { out, log, models, dataName: data, teacher, files } = options;
  if (options.text.validationFraction === 0) {
    log(`== comparison: skipped, text entry "${data}" holds no validation tokens to score the models on (validationFraction 0)`);
    return null;
  }
  log(`== comparison of ${models.length} language models on the validation tokens of ${data} (validation loss and perplexity; the classification report does not apply to text)`);
  const report = await compareLanguageModels({
    models,
    data: { name: data, validation: textValidation(data, options.text) },
    ...(teacher === undefined ? {} : { teacher }),
    title: recipe.report.title ?? `retort run: ${recipe.name}`,
    threads: options.threads,
    onModel: (name, i, total) => log(`[${i + 1}/${total}] ${name}`),
    // The recipe's seed draws the judged samples, so a re-run of the comparison gives the same table.
    seed: recipe.seed,
    onJudged: (name, j) => log(`judged by ${teacher}: ${name}'s samples ${j.teacherLoss.toFixed(4)} nats/token (its own ${j.ownLoss.toFixed(4)}), distinct 4-grams ${j.distinct4.toFixed(3)}`),
  });
  writeLanguageModelReport(report, { json: join(out, files.json), html: join(out, files.html), table: join(out, files.table) });
  return {
    report: null,
    languageModels: report,
    record: { ...files, data, teacher: teacher ?? null, models: models.map((m) => m.name) },
  };
}
