/**
 * What `retort distill` records and prints: the metrics.json schema (config, per-epoch history,
 * test errors per class, agreement with the teacher, the omitted-class bias correction, timings)
 * and the teacher-vs-student table.
 */
import type { OffsetChoice } from '../distill/biasCorrection.js';
import type { OptimizerSpec } from '../train/optimizers/index.js';
import type { ScheduleSpec } from '../train/schedules.js';
import { formatFields, formatTable, type Cell } from './format.js';
import type { ModelSource } from './trainingRun.js';

export type { ModelSource };

export interface DistillConfig {
  teacher: { path: string; sha256: string };
  student: ModelSource;
  data: string;
  limitTrain: number | null;
  validation: number;
  omitClass: number | null;
  temperature: number;
  alpha: number;
  epochs: number;
  batchSize: number;
  seed: number;
  optimizer: OptimizerSpec;
  schedule: ScheduleSpec;
  jitter: boolean;
  teacherSignal: 'auto' | 'cached' | 'per-batch';
  checkpointEvery: number;
  maxSteps: number | null;
  threads: number;
  /** The objective's terms when given with --term (the classic --temperature/--alpha otherwise). */
  terms?: { name: string; weight: unknown; kind: string; options: object }[];
  /** Epochs of FitNets stage 1 (hint pre-training) before the distillation epochs. */
  hintEpochs?: number;
}

/** Test-set quality of one model: errors out of the test set, per true class, and agreement with the teacher. */
export interface TestErrors {
  samples: number;
  errors: number;
  errorPercent: number;
  perClass: { errors: number; samples: number }[];
  teacherAgreement: number;
}

export interface DistillEpoch {
  epoch: number;
  steps: number;
  trainLoss: number;
  /** Hard-label accuracy on the (transfer set) training batches. */
  trainAccuracy: number;
  validation: { loss: number; errors: number; errorPercent: number } | null;
  test: { errors: number; errorPercent: number; teacherAgreement: number };
  seconds: number;
  samplesPerSecond: number;
}

export interface BiasCorrectionReport {
  classIndex: number;
  offset: number;
  grid: { max: number; step: number };
  /** Errors on the held-out validation split at each offset searched (what chose the offset). */
  errorsByOffset: OffsetChoice['errorsByOffset'];
  validation: { before: ClassSummary; after: ClassSummary };
  test: { before: ClassSummary & { teacherAgreement: number }; after: ClassSummary & { teacherAgreement: number } };
}

/** Errors overall and on the omitted class. */
export interface ClassSummary {
  samples: number;
  errors: number;
  errorPercent: number;
  classSamples: number;
  classErrors: number;
}

export interface DistillMetrics {
  format: 'retort-distill-metrics';
  version: 1;
  status: 'running' | 'complete' | 'max-steps';
  date: string;
  config: DistillConfig;
  teacherSignal: 'cached' | 'per-batch' | 'none';
  teacher: { parameters: number; test: TestErrors };
  student: { parameters: number; inputDims: number[] };
  data: { name: string; transferSet: number; omittedSamples: number; validation: number; test: number; inputDims: number[] };
  stepsPerEpoch: number;
  steps: number;
  epochs: DistillEpoch[];
  /** The final student (after bias correction when --omit-class). */
  test: TestErrors | null;
  biasCorrection: BiasCorrectionReport | null;
  timings: { setupSeconds: number; teacherSeconds: number; trainSeconds: number; testSeconds: number; biasCorrectionSeconds: number; totalSeconds: number; samplesPerSecond: number };
  resumedFromStep: number | null;
}

export const pct = (x: number): string => x.toFixed(2);

/** The teacher-vs-student table and a few summary lines (all of it is also in metrics.json / --json). */
export function printSummary(metrics: DistillMetrics, jitterPixels: number): void {
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
      : `alpha ${metrics.config.alpha} x hard CE + ${1 - metrics.config.alpha} x T^2 x KL at T = ${metrics.config.temperature}; teacher logits ${metrics.teacherSignal}`],
    ['transfer set', `${metrics.data.transferSet} samples${k === null ? '' : ` (all ${metrics.data.omittedSamples} ${k}s removed)`}${metrics.config.jitter ? `, jittered by up to ${jitterPixels} pixels` : ''}`],
    ['steps', `${metrics.steps} (${metrics.stepsPerEpoch} per epoch)`],
  ];
  if (bias) {
    const v = bias.validation;
    fields.push(['bias offset', `+${bias.offset} on class ${k}, chosen on ${v.before.samples} held-out training samples (errors ${v.before.errors} -> ${v.after.errors}; on ${k}s ${v.before.classErrors} -> ${v.after.classErrors} of ${v.before.classSamples})`]);
  }
  fields.push(['time', `${metrics.timings.totalSeconds.toFixed(1)} s (teacher ${metrics.timings.teacherSeconds.toFixed(1)} s, training ${metrics.timings.trainSeconds.toFixed(1)} s, ${Math.round(metrics.timings.samplesPerSecond)} samples/s)`]);
  process.stdout.write(formatFields(fields) + '\n');
}
