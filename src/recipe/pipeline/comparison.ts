/**
 * The end of a run: every model it read from files and every stage's `model`, scored on the same
 * test samples and costed the same way — the `retort compare` report (compareModels) — written to
 * the run folder as comparison.json, report.html and, given a renderer, comparison.txt.
 */
import { join, resolve } from 'node:path';
import { compareModels, writeReport, type ComparisonReport, type LanguageModelReport } from '../../report/index.js';
import { writeFileAtomic } from '../../util/atomicWrite.js';
import { comparisonEntries, type LabelledModel } from '../stages/compare.js';
import { evaluationSettingsOf } from '../stages/evaluationKwargs.js';
import { testSetOf } from './data.js';
import { compareLanguageModelRun } from './languageModelComparison.js';
import type { ComparisonRecord, StageRecord } from './manifest.js';
import type { DataInput } from './stageKind.js';
import type { Recipe } from './validate.js';
import { modelPath } from './stageRun.js';

export const COMPARISON_FILES = { json: 'comparison.json', html: 'report.html', table: 'comparison.txt' } as const;

/** Model files the recipe reads (first use order), then each stage's model, in stage order. */
function candidates(recipe: Recipe, out: string, records: ReadonlyMap<string, StageRecord>): LabelledModel[] {
  const found: LabelledModel[] = [];
  const add = (path: string, label: string) => {
    if (!found.some((c) => resolve(c.path) === resolve(path))) found.push({ path, label });
  };
  for (const stage of recipe.stages) {
    for (const input of Object.values(stage.inputs)) {
      const refs = input.kind === 'model' ? [input.model] : input.kind === 'models' ? input.models : [];
      for (const ref of refs) if (ref.from === 'file') add(ref.path, ref.label);
    }
  }
  for (const stage of recipe.stages) {
    const model = records.get(stage.name)?.artifacts.model;
    if (model !== undefined) add(join(out, model), stage.name);
  }
  return found;
}

export interface ComparisonOptions {
  out: string;
  records: ReadonlyMap<string, StageRecord>;
  data: Readonly<Record<string, DataInput>>;
  threads: number | undefined;
  log: (line: string) => void;
  renderTable?: (report: ComparisonReport) => string;
}

/**
 * What the comparison wrote: the classification report, or for a text entry the language-model
 * comparison (`languageModels`, with `report` null: the classification report scores classes).
 */
export interface RunComparison {
  report: ComparisonReport | null;
  languageModels?: LanguageModelReport;
  record: ComparisonRecord;
}

/** Runs the comparison and writes its files; null (with a log line) when there is nothing to compare or no data to score on. */
export async function compareRunModels(recipe: Recipe, options: ComparisonOptions): Promise<RunComparison | null> {
  const { out, records, log } = options;
  const planned = recipe.report;
  const found = candidates(recipe, out, records);
  if (found.length === 0) {
    log('== comparison: no models to compare');
    return null;
  }
  if (planned.data === null) {
    log('== comparison: skipped, the recipe has no data entry to score the models on');
    return null;
  }
  const teacherRef = planned.teacher;
  const { models, teacher } = comparisonEntries(found, teacherRef ? { path: modelPath(teacherRef, { out, records }), label: teacherRef.label } : undefined);
  const data = options.data[planned.data]!;
  if (data.text) return compareLanguageModelRun(recipe, { out, threads: options.threads, log, models, teacher, dataName: data.name, text: data.text, files: COMPARISON_FILES });
  log(`== comparison of ${models.length} models on the ${data.name} test split`);
  const report = await compareModels({
    models,
    data: testSetOf(data),
    settings: evaluationSettingsOf(planned.evaluation, { seed: recipe.seed, threads: options.threads }),
    ...(teacher === undefined ? {} : { teacher }),
    title: planned.title ?? `retort run: ${recipe.name}`,
    onModel: (name, i, total) => log(`[${i + 1}/${total}] ${name}`),
  });
  writeReport(report, { json: join(out, COMPARISON_FILES.json), html: join(out, COMPARISON_FILES.html) });
  const table = options.renderTable ? COMPARISON_FILES.table : null;
  if (options.renderTable) writeFileAtomic(join(out, COMPARISON_FILES.table), `${options.renderTable(report)}\n`);
  const record: ComparisonRecord = { json: COMPARISON_FILES.json, html: COMPARISON_FILES.html, table, data: data.name, teacher: teacher ?? null, models: models.map((m) => m.name) };
  return { report, record };
}
