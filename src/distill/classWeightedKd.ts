/**
 * Class-weighted knowledge distillation for long-tailed data: Hinton et al.'s soft term with each
 * sample's KL weighted by its true class's weight (classWeights.ts: inverse frequency or Cui et al.
 * 2019's effective number of samples), so the rare classes' dark knowledge is not drowned by the head
 * classes':
 *   T^2 · (1/N) Σ_i w[y_i] · KL(softmax(t_i / T) || softmax(s_i / T))
 * The per-sample weights are gathered from a constant by the batch's labels inside the graph: one
 * weight per sample, per batch, with no extra input. With every weight 1 this is the plain KD term.
 */
import { RetortError } from '../util/errors.js';
import { TEACHER_OUTPUT, type DistillTerm, type TermContext } from './terms/types.js';

export interface ClassWeightedKdOptions {
  temperature: number;
  /** One weight per class (classWeights.ts). */
  classWeights: readonly number[];
  /** Student logits value; default the student's first output. */
  logits?: string;
}

export function classWeightedKd(options: ClassWeightedKdOptions): DistillTerm {
  const { temperature, classWeights } = options;
  if (!(temperature > 0)) throw new RetortError('BAD_ARGUMENT', `Class-weighted KD: temperature must be positive, got ${temperature}`);
  if (classWeights.length === 0 || classWeights.some((w) => !(w >= 0))) {
    throw new RetortError('BAD_ARGUMENT', `Class-weighted KD: class weights must be non-negative numbers, got [${classWeights.join(', ')}]`);
  }
  return {
    kind: 'class-weighted-kd',
    teacherValues: [TEACHER_OUTPUT],
    readsLabels: true,
    options: { temperature, classWeights: [...classWeights] },
    build(ctx: TermContext): string {
      const { b } = ctx;
      const logits = options.logits ?? ctx.studentOutput;
      const dims = ctx.shape(logits);
      const classes = dims[dims.length - 1]!;
      if (classes !== classWeights.length) throw new RetortError('BAD_ARGUMENT', `Class-weighted KD: ${classWeights.length} class weights for logits "${logits}" of ${classes} classes`);
      const soften = (x: string) => (temperature === 1 ? x : b.scale(x, 1 / temperature));
      const logTeacher = b.op('LogSoftmax', [soften(ctx.teacher(TEACHER_OUTPUT))], { axis: -1 });
      const logStudent = b.op('LogSoftmax', [soften(logits)], { axis: -1 });
      // KL per position: [N] (or [N, T]).
      const perSample = b.reduceSum(b.mul(b.exp(logTeacher), b.sub(logTeacher, logStudent)), [dims.length - 1], false);
      const weights = b.op('Gather', [b.constFloat(classWeights, [classes]), ctx.labels()], { axis: 0 });
      const positions = dims.slice(0, -1).reduce((a, c) => a * c, 1);
      const total = b.reduceSum(b.mul(weights, perSample), dims.slice(0, -1).map((_, i) => i), false);
      return b.scale(total, (temperature * temperature) / positions);
    },
  };
}
