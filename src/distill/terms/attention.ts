/**
 * Attention transfer.
 *
 * 'at' — spatial attention maps of paired conv layers (Zagoruyko & Komodakis 2017, eq. 2):
 *   L_AT = sum over pairs of mean over (n, position) (Q_s/||Q_s|| - Q_t/||Q_t||)^2,
 *   Q = mean over channels of |A|^p (p = 2).
 * That is the reference code's at_loss; the paper's β/2 · ||·||_2 with β = 1000 "divided by the
 * number of elements in the attention map and batch size" is the same up to the weight, so a weight
 * of about 1000 reproduces the paper's setting. Channel counts may differ; H and W must agree.
 *
 * 'attn' — transformer attention-probability matching between paired heads/layers: the softmax
 * outputs (attention probabilities, [..., queries, keys]) are matched with mean squared error, or
 * with KL(teacher || student) over the key axis averaged over every other axis (as MiniLM's
 * self-attention transfer, Wang et al. 2020).
 */
import { RetortError } from '../../util/errors.js';
import { attentionMap, klDivergence, meanSquaredError } from './primitives.js';
import type { DistillTerm, TermContext } from './types.js';

export interface ValuePair {
  student: string;
  teacher: string;
}

export interface AttentionTransferOptions {
  pairs: ValuePair[];
  /** The power of |A| in the map (default 2, the paper's choice). */
  p?: number;
}

export const PROBABILITY_LOSSES = ['kl', 'mse'] as const;

export interface AttentionProbabilityOptions {
  pairs: ValuePair[];
  /** Default 'kl'. */
  loss?: (typeof PROBABILITY_LOSSES)[number];
}

function checkPairs(kind: string, pairs: readonly ValuePair[]): void {
  if (pairs.length === 0) throw new RetortError('BAD_ARGUMENT', `${kind}: needs at least one student:teacher pair (pairs=s1:t1;s2:t2)`);
  for (const pair of pairs) if (!pair.student || !pair.teacher) throw new RetortError('BAD_ARGUMENT', `${kind}: pair "${pair.student}:${pair.teacher}" needs a student and a teacher value name`);
}

const dimsText = (dims: readonly number[]) => `[${dims.join(', ')}]`;

export function attentionTransferTerm(options: AttentionTransferOptions): DistillTerm {
  checkPairs('at', options.pairs);
  const p = options.p ?? 2;
  if (!(p > 0)) throw new RetortError('BAD_ARGUMENT', `at: p must be positive, got ${p}`);
  return {
    kind: 'at',
    teacherValues: [...new Set(options.pairs.map((pair) => pair.teacher))],
    studentValues: options.pairs.map((pair) => pair.student),
    options: { pairs: options.pairs, p },
    build(ctx: TermContext): string {
      const { b } = ctx;
      const losses = options.pairs.map(({ student, teacher }) => {
        const studentDims = ctx.shape(student);
        const teacherDims = ctx.teacherShape(teacher);
        if (studentDims.length !== 4 || teacherDims.length !== 4 || studentDims[2] !== teacherDims[2] || studentDims[3] !== teacherDims[3]) {
          throw new RetortError('BAD_ARGUMENT', `at: pair "${student}" ${dimsText(studentDims)} : "${teacher}" ${dimsText(teacherDims)} must both be [N, C, H, W] with the same H and W`);
        }
        const studentMap = attentionMap(b, student, studentDims, p);
        const teacherMap = attentionMap(b, ctx.teacher(teacher), teacherDims, p);
        return meanSquaredError(b, studentMap, teacherMap, [studentDims[0]!, studentDims[2]! * studentDims[3]!]);
      });
      return losses.length === 1 ? losses[0]! : b.sum(losses);
    },
  };
}

export function attentionProbabilityTerm(options: AttentionProbabilityOptions): DistillTerm {
  checkPairs('attn', options.pairs);
  const loss = options.loss ?? 'kl';
  if (!PROBABILITY_LOSSES.includes(loss)) throw new RetortError('BAD_ARGUMENT', `attn: unknown loss "${loss}". Should be one of: ${PROBABILITY_LOSSES.join(', ')}`);
  return {
    kind: 'attn',
    teacherValues: [...new Set(options.pairs.map((pair) => pair.teacher))],
    studentValues: options.pairs.map((pair) => pair.student),
    options: { pairs: options.pairs, loss },
    build(ctx: TermContext): string {
      const { b } = ctx;
      const losses = options.pairs.map(({ student, teacher }) => {
        const dims = ctx.shape(student);
        const teacherDims = ctx.teacherShape(teacher);
        if (dimsText(dims) !== dimsText(teacherDims)) {
          throw new RetortError('BAD_ARGUMENT', `attn: student "${student}" ${dimsText(dims)} and teacher "${teacher}" ${dimsText(teacherDims)} must have the same shape (pair heads of equal count and length)`);
        }
        const teacherValue = ctx.teacher(teacher);
        if (loss === 'mse') return meanSquaredError(b, student, teacherValue, dims);
        // Probabilities, not logits: log of the clamped value (a masked key has probability 0).
        const log = (x: string) => b.op('Log', [b.op('Max', [x, b.constFloat(1e-12)])]);
        return klDivergence(b, log(teacherValue), log(student), dims);
      });
      return losses.length === 1 ? losses[0]! : b.sum(losses);
    },
  };
}
