/**
 * Response-based terms: the student's logits against the teacher's (or the labels).
 *   forward KL  T^2 KL(p_t || p_s), p = softmax(z / T)   Hinton, Vinyals & Dean 2015 (mean-seeking)
 *   reverse KL  T^2 KL(p_s || p_t)                       MiniLLM, Gu et al. 2024 (mode-seeking)
 *   js          T^2 JS(p_s, p_t)                         symmetric, bounded by log 2
 *   mse         mean (z_s - z_t)^2 on raw logits         Ba & Caruana 2014
 * The T^2 keeps the soft term's gradients on the scale of a hard term's as T changes (Hinton §2).
 */
import { softmaxCrossEntropy, correctCount, type LossContext } from '../../train/losses.js';
import { RetortError } from '../../util/errors.js';
import { jensenShannon, klDivergence, meanSquaredError, softenedLogProbabilities } from './primitives.js';
import { checkSchedule, scheduleBounds, type ScalarSchedule } from './schedule.js';
import { TEACHER_OUTPUT, type DistillTerm, type TermContext } from './types.js';

export const DIVERGENCES = ['forward-kl', 'reverse-kl', 'js', 'mse'] as const;
export type Divergence = (typeof DIVERGENCES)[number];

export interface KdOptions {
  /** Default 'forward-kl'. */
  divergence?: Divergence;
  /** Softmax temperature, a number or a schedule of the step (default 1); not used by 'mse'. */
  temperature?: ScalarSchedule;
  /** Student logits value (default the student's first output). */
  student?: string;
  /** Teacher logits value (default the teacher's first output). */
  teacher?: string;
}

export function kdTerm(options: KdOptions = {}): DistillTerm {
  const divergence = options.divergence ?? 'forward-kl';
  if (!DIVERGENCES.includes(divergence)) throw new RetortError('BAD_ARGUMENT', `Unknown divergence "${divergence}". Should be one of: ${DIVERGENCES.join(', ')}`);
  const temperature = options.temperature ?? 1;
  checkSchedule(temperature, 'temperature');
  if (!(scheduleBounds(temperature).min > 0)) throw new RetortError('BAD_ARGUMENT', `temperature must be positive, got ${JSON.stringify(temperature)}`);
  if (divergence === 'mse' && temperature !== 1) throw new RetortError('BAD_ARGUMENT', 'temperature does not apply to divergence "mse" (it matches raw logits)');
  const teacherValue = options.teacher ?? TEACHER_OUTPUT;
  return {
    kind: 'kd',
    teacherValues: [teacherValue],
    studentValues: options.student ? [options.student] : [],
    options: { divergence, temperature, ...(options.student ? { student: options.student } : {}), ...(options.teacher ? { teacher: options.teacher } : {}) },
    build(ctx: TermContext): string {
      const { b } = ctx;
      const student = options.student ?? ctx.studentOutput;
      const teacher = ctx.teacher(teacherValue);
      const dims = ctx.shape(student);
      const teacherDims = ctx.teacherShape(teacherValue);
      if (dims.join(',') !== teacherDims.join(',')) {
        throw new RetortError('BAD_ARGUMENT', `kd: student logits "${student}" [${dims.join(', ')}] and teacher logits "${teacherValue}" [${teacherDims.join(', ')}] differ in shape`);
      }
      ctx.metric('agreement', correctCount(b, student, b.op('ArgMax', [teacher], { axis: -1, keepdims: 0 }), dims.length));
      if (divergence === 'mse') return meanSquaredError(b, student, teacher, dims);
      const t = temperature === 1 ? 1 : ctx.scalar('temperature', temperature);
      const logStudent = softenedLogProbabilities(b, student, t);
      const logTeacher = softenedLogProbabilities(b, teacher, t);
      const divergenceValue =
        divergence === 'forward-kl' ? klDivergence(b, logTeacher, logStudent, dims)
        : divergence === 'reverse-kl' ? klDivergence(b, logStudent, logTeacher, dims)
        : jensenShannon(b, logStudent, logTeacher, dims);
      if (t === 1) return divergenceValue;
      return typeof temperature === 'number' ? b.scale(divergenceValue, temperature * temperature) : b.mul(divergenceValue, b.mul(t, t));
    },
  };
}

/** Mean softmax cross-entropy on the class labels (the hard term of Hinton's loss). */
export function crossEntropyTerm(options: { student?: string } = {}): DistillTerm {
  return {
    kind: 'ce',
    teacherValues: [],
    readsLabels: true,
    studentValues: options.student ? [options.student] : [],
    options: { ...options },
    build(ctx: TermContext): string {
      const lossContext: LossContext = { b: ctx.b, shape: (v) => ctx.shape(v), modelOutput: ctx.studentOutput };
      return softmaxCrossEntropy(lossContext, options.student ?? ctx.studentOutput, 'index', ctx.labels()).value;
    },
  };
}
