/**
 * Hinton, Vinyals & Dean (2015), "Distilling the Knowledge in a Neural Network":
 *   loss = alpha * CE(student, labels) + (1 - alpha) * T^2 * KL(softmax(teacher/T) || softmax(student/T))
 * The T^2 keeps the soft term's gradients on the scale of the hard term's as T changes (section 2).
 * KL is summed over classes and averaged over positions (PyTorch's kl_div 'batchmean').
 * alpha = 1 is hard-label training; alpha = 0 is soft targets only.
 */
import { DataType } from '../onnx/dtype.js';
import { newValueInfo } from '../onnx/proto.js';
import { correctCount, softmaxCrossEntropy, LABELS_INPUT, type LossContext, type LossSpec, type LossTerm } from '../train/losses.js';
import { RetortError } from '../util/errors.js';

export const TEACHER_LOGITS_INPUT = 'teacher_logits';

export interface HintonOptions {
  temperature: number;
  /** Weight of the hard-label term; the soft term gets 1 - alpha. */
  alpha: number;
  /** Student logits value; default the model's first output. */
  logits?: string;
}

export function checkHintonOptions({ temperature, alpha }: HintonOptions): void {
  if (!(temperature > 0)) throw new RetortError('BAD_ARGUMENT', `temperature must be positive, got ${temperature}`);
  if (!(alpha >= 0 && alpha <= 1)) throw new RetortError('BAD_ARGUMENT', `alpha must be between 0 and 1, got ${alpha}`);
}

/** Whether the loss reads teacher logits at all (not for alpha = 1). */
export function needsTeacher(options: HintonOptions): boolean {
  return options.alpha < 1;
}

/** KL(softmax(teacher/T) || softmax(student/T)), summed over the last axis, mean over positions. */
export function softenedKl(ctx: LossContext, student: string, teacher: string, temperature: number): string {
  const { b } = ctx;
  const dims = ctx.shape(student);
  const positions = dims.slice(0, -1).reduce((a, c) => a * c, 1);
  const soften = (x: string) => (temperature === 1 ? x : b.scale(x, 1 / temperature));
  const logTeacher = b.op('LogSoftmax', [soften(teacher)], { axis: -1 });
  const logStudent = b.op('LogSoftmax', [soften(student)], { axis: -1 });
  const pointwise = b.mul(b.exp(logTeacher), b.sub(logTeacher, logStudent));
  return b.scale(b.reduceSum(pointwise, dims.map((_, i) => i), false), 1 / positions);
}

export function hintonLoss(options: HintonOptions): LossSpec {
  checkHintonOptions(options);
  const { temperature, alpha } = options;
  return {
    kind: 'subgraph',
    build: (ctx: LossContext): LossTerm => {
      const { b } = ctx;
      const logits = options.logits ?? ctx.modelOutput;
      const hard = softmaxCrossEntropy(ctx, logits, 'index', LABELS_INPUT);
      if (!needsTeacher(options)) return hard;
      const dims = ctx.shape(logits);
      const teacherInput = newValueInfo({
        name: TEACHER_LOGITS_INPUT,
        type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
      });
      const soft = b.scale(softenedKl(ctx, logits, TEACHER_LOGITS_INPUT, temperature), (1 - alpha) * temperature * temperature);
      const value = alpha === 0 ? soft : b.add(b.scale(hard.value, alpha), soft);
      return {
        value,
        inputs: [...hard.inputs, teacherInput],
        stopGradients: [TEACHER_LOGITS_INPUT],
        metrics: { ...hard.metrics, teacherAgreement: agreement(ctx, logits, dims.length) },
      };
    },
  };
}

/** Positions where the student's top class is the teacher's (a fidelity metric, not differentiated). */
function agreement(ctx: LossContext, logits: string, rank: number): string {
  const teacherTop = ctx.b.op('ArgMax', [TEACHER_LOGITS_INPUT], { axis: -1, keepdims: 0 });
  return correctCount(ctx.b, logits, teacherTop, rank);
}
