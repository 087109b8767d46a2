/**
 * FitNets hints (Romero et al. 2015, §2.2): a guided student layer v is mapped by a learned
 * regressor r onto a hint layer u of the teacher, and the student learns to match it:
 *   L_hint = distance(u, r(v))
 * r is linear over the last axis for [N, ..., C] values and a 1x1 convolution for [N, C, H, W]
 * ones (the paper's convolutional regressor, which keeps its parameter count small). Its weights
 * are trainable parameters of the training graph only; the exported student has none of them.
 * Distances: 'l2' = mean squared error (the paper's ½||·||² up to a constant factor; mean-reduced as
 * torchdistill's FitNets loss), 'l1' = mean absolute error.
 * The paper's two-stage schedule (hints first, then KD) is fitnetHintStage in ../distill.ts.
 */
import { RetortError } from '../../util/errors.js';
import { meanAbsoluteError, meanSquaredError } from './primitives.js';
import type { DistillTerm, TermContext } from './types.js';

export const HINT_DISTANCES = ['l2', 'l1'] as const;
export type HintDistance = (typeof HINT_DISTANCES)[number];
export const REGRESSORS = ['learned', 'identity'] as const;

export interface FitNetOptions {
  /** The guided layer: a student value name. */
  student: string;
  /** The hint layer: a teacher value name. */
  teacher: string;
  /** Default 'l2'. */
  distance?: HintDistance;
  /** 'learned' (default): a linear / 1x1-conv regressor; 'identity': the values must match in shape. */
  regressor?: (typeof REGRESSORS)[number];
}

export function fitnetTerm(options: FitNetOptions): DistillTerm {
  const distance = options.distance ?? 'l2';
  const regressor = options.regressor ?? 'learned';
  if (!options.student || !options.teacher) throw new RetortError('BAD_ARGUMENT', 'fitnet: needs both student=VALUE (the guided layer) and teacher=VALUE (the hint layer)');
  if (!HINT_DISTANCES.includes(distance)) throw new RetortError('BAD_ARGUMENT', `fitnet: unknown distance "${distance}". Should be one of: ${HINT_DISTANCES.join(', ')}`);
  if (!REGRESSORS.includes(regressor)) throw new RetortError('BAD_ARGUMENT', `fitnet: unknown regressor "${regressor}". Should be one of: ${REGRESSORS.join(', ')}`);
  return {
    kind: 'fitnet',
    hint: true,
    teacherValues: [options.teacher],
    studentValues: [options.student],
    options: { student: options.student, teacher: options.teacher, distance, regressor },
    build(ctx: TermContext): string {
      const { b } = ctx;
      const hint = ctx.teacher(options.teacher);
      const studentDims = ctx.shape(options.student);
      const teacherDims = ctx.teacherShape(options.teacher);
      const mapped = regressor === 'identity' ? identityRegressor(options, studentDims, teacherDims) : learnedRegressor(ctx, options, studentDims, teacherDims);
      return distance === 'l2' ? meanSquaredError(b, mapped, hint, teacherDims) : meanAbsoluteError(b, mapped, hint, teacherDims);
    },
  };
}

const shapeText = (dims: readonly number[]) => `[${dims.join(', ')}]`;

function identityRegressor(options: FitNetOptions, studentDims: readonly number[], teacherDims: readonly number[]): string {
  if (shapeText(studentDims) !== shapeText(teacherDims)) {
    throw new RetortError('BAD_ARGUMENT', `fitnet: student "${options.student}" ${shapeText(studentDims)} and teacher "${options.teacher}" ${shapeText(teacherDims)} differ; use regressor=learned`);
  }
  return options.student;
}

/**
 * r(v): for rank 4, Conv(v, W [C_t, C_s, 1, 1]) + b; otherwise v · W [C_s, C_t] + b over the last
 * axis. All other dims must already agree. Weights ~ U(±1/sqrt(C_s)) (PyTorch's default for
 * Linear and Conv), bias zero.
 */
function learnedRegressor(ctx: TermContext, options: FitNetOptions, studentDims: readonly number[], teacherDims: readonly number[]): string {
  const { b } = ctx;
  const convolutional = studentDims.length === 4;
  const channelAxis = convolutional ? 1 : studentDims.length - 1;
  const same = (dims: readonly number[]) => dims.filter((_, i) => i !== channelAxis).join(',');
  if (studentDims.length < 2 || studentDims.length !== teacherDims.length || same(studentDims) !== same(teacherDims)) {
    const mapped = convolutional ? 'a 1x1 convolution maps channels (axis 1) only, so N, H and W must agree' : 'a linear regressor maps the last axis only, so the other dims must agree';
    throw new RetortError('BAD_ARGUMENT', `fitnet: cannot map student "${options.student}" ${shapeText(studentDims)} onto teacher "${options.teacher}" ${shapeText(teacherDims)}: ${mapped}`);
  }
  const inChannels = studentDims[channelAxis]!;
  const outChannels = teacherDims[channelAxis]!;
  const bound = 1 / Math.sqrt(inChannels);
  const weights = Float32Array.from({ length: inChannels * outChannels }, () => (2 * ctx.rng.next() - 1) * bound);
  if (convolutional) {
    const w = ctx.parameter('regressor.weight', [outChannels, inChannels, 1, 1], weights);
    const bias = ctx.parameter('regressor.bias', [outChannels], new Float32Array(outChannels));
    return b.op('Conv', [options.student, w, bias], { kernel_shape: [1, 1] });
  }
  const w = ctx.parameter('regressor.weight', [inChannels, outChannels], weights);
  const bias = ctx.parameter('regressor.bias', [outChannels], new Float32Array(outChannels));
  return b.add(b.matmul(options.student, w), bias);
}
