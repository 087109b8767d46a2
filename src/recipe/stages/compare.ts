/**
 * The `compare` stage: what `retort compare A.onnx B.onnx --data NAME [--teacher T]` reports —
 * every model scored on the same test samples and costed the same way, fidelity to the teacher
 * when one is given, and the HTML report with the accuracy/size and accuracy/latency Pareto fronts —
 * for models of the recipe (earlier stages' outputs or files). Both call compareModels; a run's
 * final comparison (pipeline/comparison.ts) places its models the same way.
 */
import { resolve } from 'node:path';
import { compareModels, modelNames, type ModelFile } from '../../report/index.js';
import { testSetOf } from '../pipeline/data.js';
import type { StageKind } from '../pipeline/stageKind.js';
import { modelEntryMetrics, writeStageReport } from './eval.js';
import { evaluationSettingsOf, reportStageKwargsSchema, type ReportStageKwargs } from './evaluationKwargs.js';

/** A model file and how the recipe refers to it. */
export interface LabelledModel {
  path: string;
  label: string;
}

/**
 * The models as compareModels takes them — named by their labels, made unique as `retort compare`
 * does for file names — with the teacher among them: the entry with its file, else added first.
 */
export function comparisonEntries(models: readonly LabelledModel[], teacher: LabelledModel | undefined): { models: ModelFile[]; teacher?: string } {
  const teacherIndex = teacher ? models.findIndex((m) => resolve(m.path) === resolve(teacher.path)) : -1;
  const all = teacher && teacherIndex < 0 ? [teacher, ...models] : models;
  const names = modelNames(all.map((m) => m.path), all.map((m) => m.label));
  const files = all.map((m, i) => ({ path: m.path, name: names[i]! }));
  return teacher ? { models: files, teacher: files[Math.max(teacherIndex, 0)]!.name } : { models: files };
}

export const compareStage: StageKind<ReportStageKwargs> = {
  key: 'compare',
  summary: 'Compare several models on the same test samples, as `retort compare` does: one table, fidelity to an optional teacher, an HTML report with the accuracy vs size and latency Pareto fronts',
  inputs: [
    { name: 'models', kind: 'models', required: true, description: 'the models to compare: a list of STAGE.OUTPUT references and model paths' },
    { name: 'teacher', kind: 'model', required: false, description: 'fidelity (agreement, KL, Kendall tau, paired differences) is measured against it; added first unless it is among the models' },
    { name: 'data', kind: 'data', required: true, description: 'the data entry whose test split scores them' },
  ],
  outputs: ['report', 'html'],
  kwargs: reportStageKwargsSchema,
  async run(ctx, kwargs) {
    const started = performance.now();
    const labelled = (m: { path: string; label?: string }): LabelledModel => ({ path: m.path, label: m.label ?? m.path });
    const teacher = ctx.models.teacher;
    const placed = comparisonEntries((ctx.modelLists?.models ?? []).map(labelled), teacher && labelled(teacher));
    const data = ctx.data.data!;
    const report = await compareModels({
      ...placed,
      data: testSetOf(data),
      settings: evaluationSettingsOf(kwargs, { seed: ctx.seed, threads: ctx.threads }),
      ...(kwargs.title ? { title: kwargs.title } : {}),
      onModel: (name, i, total) => ctx.log(`[${i + 1}/${total}] ${name}`),
    });
    const artifacts = writeStageReport(ctx, report);
    const models = Object.fromEntries(report.models.map((m) => [m.name, modelEntryMetrics(m)]));
    return { artifacts, metrics: { models, ...(report.teacher ? { teacher: report.teacher } : {}), seconds: (performance.now() - started) / 1000 } };
  },
};
