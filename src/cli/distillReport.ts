/**
 * What `retort distill` prints: the teacher-vs-student table and a few summary lines. The
 * metrics.json schema it prints from (config, per-epoch history, test errors per class, agreement
 * with the teacher, the omitted-class bias correction, timings) is the distillation run's
 * (src/recipe/stages/distillRun.ts), re-exported here.
 */
import type { DistillMetrics, TestErrors } from '../recipe/stages/distillRun.js';
import { formatFields, formatTable, type Cell } from './format.js';

export type { BiasCorrectionReport, ClassSummary, DistillConfig, DistillEpoch, DistillMetrics, TestErrors } from '../recipe/stages/distillRun.js';
export type { ModelSource } from '../train/modelSource.js';

export const pct = (x: number): string => x.toFixed(2);

/** The teacher-vs-student table and a few summary lines (all of it is also in metrics.json / --json). */
export function printSummary(metrics: DistillMetrics): void {
  const k = metrics.config.omitClass;
  const onK = (perClass: TestErrors['perClass']): Cell[] => (k === null ? [] : [`${perClass[k]!.errors} of ${perClass[k]!.samples}`]);
  const headers = ['model', 'parameters', 'test errors', 'test err %', ...(k === null ? [] : [`errors on ${k}s`]), 'agreement %'];
  const rows: Cell[][] = [['teacher', metrics.teacher.parameters, metrics.teacher.test.errors, pct(metrics.teacher.test.errorPercent), ...onK(metrics.teacher.test.perClass), '']];
  const bias = metrics.biasCorrection;
  if (bias) {
    const { before } = bias.test;
    rows.push(['student, as trained', metrics.student.parameters, before.errors, pct(before.errorPercent), `${before.classErrors} of ${before.classSamples}`, pct(100 * before.teacherAgreement)]);
  }
  const t = metrics.test;
  if (t) rows.push([bias ? `student, bias of ${k} +${bias.offset}` : 'student', metrics.student.parameters, t.errors, pct(t.errorPercent), ...onK(t.perClass), pct(100 * t.teacherAgreement)]);
  process.stdout.write(formatTable(headers, rows) + '\n\n');
  const fields: [string, string][] = [
    ['status', metrics.status],
    ['loss', metrics.config.terms
      ? `${metrics.config.terms.map((t) => `${JSON.stringify(t.weight)} x ${t.name} (${t.kind})`).join(' + ')}${metrics.config.hintEpochs ? `, after ${metrics.config.hintEpochs} FitNets hint epochs` : ''}; teacher values ${metrics.teacherSignal}`
      : `alpha ${metrics.config.alpha} x hard CE + ${1 - metrics.config.alpha!} x T^2 x KL at T = ${metrics.config.temperature}; teacher logits ${metrics.teacherSignal}`],
    ['transfer set', `${metrics.data.transferSet} samples${k === null ? '' : ` (all ${metrics.data.omittedSamples} ${k}s removed)`}${metrics.config.jitter ? `, jittered by up to ${metrics.config.jitter} pixels` : ''}`],
    ['steps', `${metrics.steps} (${metrics.stepsPerEpoch} per epoch)`],
  ];
  if (bias) {
    const v = bias.validation;
    fields.push(['bias offset', `+${bias.offset} on class ${k}, chosen on ${v.before.samples} held-out training samples (errors ${v.before.errors} -> ${v.after.errors}; on ${k}s ${v.before.classErrors} -> ${v.after.classErrors} of ${v.before.classSamples})`]);
  }
  fields.push(['time', `${metrics.timings.totalSeconds.toFixed(1)} s (teacher ${metrics.timings.teacherSeconds.toFixed(1)} s, training ${metrics.timings.trainSeconds.toFixed(1)} s, ${Math.round(metrics.timings.samplesPerSecond)} samples/s)`]);
  process.stdout.write(formatFields(fields) + '\n');
}
