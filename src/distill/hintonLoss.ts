/**
 * Hinton, Vinyals & Dean (2015), "Distilling the Knowledge in a Neural Network":
 *   loss = alpha * CE(student, labels) + (1 - alpha) * T^2 * KL(softmax(teacher/T) || softmax(student/T))
 * The T^2 keeps the soft term's gradients on the scale of the hard term's as T changes (section 2).
 * KL is summed over classes and averaged over positions (PyTorch's kl_div 'batchmean').
 * alpha = 1 is hard-label training; alpha = 0 is soft targets only.
 *
 * Classic KD is the objective of two terms (terms/): `ce` weighted alpha and `kd` (forward KL at
 * temperature T) weighted 1 - alpha; a term of weight 0 is left out, so alpha = 1 reads no teacher.
 */
import type { LossContext, LossSpec } from '../train/losses.js';
import { RetortError } from '../util/errors.js';
import { composeObjective, TEACHER_LOGITS_INPUT } from './terms/objective.js';
import { klDivergence, softenedLogProbabilities } from './terms/primitives.js';
import { crossEntropyTerm, kdTerm } from './terms/response.js';
import type { WeightedTerm } from './terms/types.js';

export { TEACHER_LOGITS_INPUT };

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
  const t = temperature === 1 ? 1 : ctx.b.constFloat(temperature);
  return klDivergence(ctx.b, softenedLogProbabilities(ctx.b, teacher, t), softenedLogProbabilities(ctx.b, student, t), ctx.shape(student));
}

/** The classic KD objective as named terms: `ce` (weight alpha) and `kd` (weight 1 - alpha), zero weights left out. */
export function classicKdTerms(options: HintonOptions): WeightedTerm[] {
  checkHintonOptions(options);
  const { temperature, alpha, logits } = options;
  const terms: WeightedTerm[] = [];
  if (alpha > 0) terms.push({ name: 'ce', weight: alpha, term: crossEntropyTerm({ student: logits }) });
  if (alpha < 1) terms.push({ name: 'kd', weight: 1 - alpha, term: kdTerm({ divergence: 'forward-kl', temperature, student: logits }) });
  return terms;
}

export function hintonLoss(options: HintonOptions): LossSpec {
  return composeObjective(classicKdTerms(options), { seed: 0 }).loss;
}
