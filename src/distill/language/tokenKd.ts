/**
 * Token-level distillation of a language model (the word-level KD of Kim & Rush 2016, applied at
 * every position): at each position of a window the student's next-token distribution is matched to
 * the teacher's at temperature T, by forward KL(p_t || p_s) (Hinton et al. 2015; mean-seeking) or
 * reverse KL(p_s || p_t) (MiniLLM, Gu et al. 2024; mode-seeking), mixed with the cross-entropy on the
 * real next tokens:
 *
 *   loss = alpha * CE(student, next tokens) + (1 - alpha) * T^2 * mean over positions of D(p_t, p_s)
 *
 * These are the `ce` and `kd` terms of terms/ — their logits are [batch, seq, vocab]; the divergence
 * sums over the vocabulary (the last axis) and averages over batch and positions alike — run by
 * `distill` with language-model data, the teacher run on each batch of windows.
 */
import { RetortError } from '../../util/errors.js';
import { crossEntropyTerm, kdTerm, type Divergence } from '../terms/response.js';
import type { WeightedTerm } from '../terms/types.js';

/** The divergences token-level KD offers: forward KL (mean-seeking), reverse KL (mode-seeking), Jensen-Shannon. */
export const TOKEN_KD_DIVERGENCES = ['forward-kl', 'reverse-kl', 'js'] as const satisfies readonly Divergence[];

export interface TokenKdOptions {
  divergence: (typeof TOKEN_KD_DIVERGENCES)[number];
  temperature: number;
  /** Weight of the cross-entropy on the real next tokens; the divergence gets 1 - alpha. */
  alpha: number;
}

/** `ce` (weight alpha) and `kd` (weight 1 - alpha); a term of weight 0 is left out. */
export function tokenKdTerms(options: TokenKdOptions): WeightedTerm[] {
  const { divergence, temperature, alpha } = options;
  if (!(alpha >= 0 && alpha <= 1)) throw new RetortError('BAD_ARGUMENT', `alpha must be between 0 and 1, got ${alpha}`);
  const terms: WeightedTerm[] = [];
  if (alpha > 0) terms.push({ name: 'ce', weight: alpha, term: crossEntropyTerm() });
  if (alpha < 1) terms.push({ name: 'kd', weight: 1 - alpha, term: kdTerm({ divergence, temperature }) });
  return terms;
}
