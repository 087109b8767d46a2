/**
 * Relational knowledge distillation (Park et al. 2019): the student keeps the teacher's structure
 * among the batch's embeddings rather than the embeddings themselves.
 *   distance-wise: Huber(ψ_D(s_i, s_j), ψ_D(t_i, t_j)), ψ_D = ||e_i - e_j|| / μ, μ the mean distance
 *   angle-wise:    Huber(ψ_A(s_i, s_j, s_k), ψ_A(t_i, t_j, t_k)), ψ_A = cos∠ e_i e_j e_k
 *   L_RKD = distanceWeight · L_D + angleWeight · L_A (the paper uses 25 and 50)
 * Embeddings of any rank are flattened to [N, D]; the term needs N >= 2 (3 for angles).
 */
import { RetortError } from '../../util/errors.js';
import { huber, normalizedDistances, pairwiseDistances, tripletAngles } from './primitives.js';
import type { DistillTerm, TermContext } from './types.js';

export interface RkdOptions {
  student: string;
  teacher: string;
  /** Weight of the distance-wise loss (default 25; 0 leaves it out). */
  distanceWeight?: number;
  /** Weight of the angle-wise loss (default 50; 0 leaves it out). */
  angleWeight?: number;
}

export function rkdTerm(options: RkdOptions): DistillTerm {
  const distanceWeight = options.distanceWeight ?? 25;
  const angleWeight = options.angleWeight ?? 50;
  if (!options.student || !options.teacher) throw new RetortError('BAD_ARGUMENT', 'rkd: needs student=VALUE and teacher=VALUE (the embeddings)');
  if (!(distanceWeight >= 0 && angleWeight >= 0 && distanceWeight + angleWeight > 0)) {
    throw new RetortError('BAD_ARGUMENT', `rkd: distance and angle weights must be >= 0 and not both 0, got ${distanceWeight}, ${angleWeight}`);
  }
  return {
    kind: 'rkd',
    teacherValues: [options.teacher],
    studentValues: [options.student],
    options: { student: options.student, teacher: options.teacher, distanceWeight, angleWeight },
    build(ctx: TermContext): string {
      const { b } = ctx;
      const flat = (value: string, dims: readonly number[]) => (dims.length === 2 ? value : b.reshape(value, [dims[0]!, dims.slice(1).reduce((a, c) => a * c, 1)]));
      const studentDims = ctx.shape(options.student);
      const n = studentDims[0]!;
      if (n < 3 && angleWeight > 0) throw new RetortError('BAD_ARGUMENT', `rkd: angles need a batch of at least 3, got ${n}`);
      const student = flat(options.student, studentDims);
      const teacher = flat(ctx.teacher(options.teacher), ctx.teacherShape(options.teacher));
      const parts: string[] = [];
      if (distanceWeight > 0) {
        const distance = huber(b, normalizedDistances(b, pairwiseDistances(b, student, n), n), normalizedDistances(b, pairwiseDistances(b, teacher, n), n), [n, n]);
        ctx.metric('distance', distance);
        parts.push(b.scale(distance, distanceWeight));
      }
      if (angleWeight > 0) {
        const angle = huber(b, tripletAngles(b, student), tripletAngles(b, teacher), [n, n, n]);
        ctx.metric('angle', angle);
        parts.push(b.scale(angle, angleWeight));
      }
      return parts.length === 1 ? parts[0]! : b.add(parts[0]!, parts[1]!);
    },
  };
}
