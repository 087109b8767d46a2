/**
 * How faithfully a student reproduces its teacher, beyond accuracy (Stanton et al. 2021, "Does
 * Knowledge Distillation Really Work?"): top-1 agreement, mean KL(teacher || student), and whether
 * the student keeps the teacher's ranking of the wrong classes — the "dark knowledge" of Hinton et
 * al. 2015 — measured per sample by Kendall's tau-b over the non-target classes.
 */
import { RetortError } from '../util/errors.js';
import { predictedClass, requireSameSamples, requireSamples, type Predictions } from './metrics/predictions.js';
import { mean } from './metrics/scoring.js';

/**
 * Top-1 agreement: fraction of samples where teacher and student pick the same arg-max class
 * (`topOneAgreement` in eval/logits.ts is the same measure on raw logits).
 */
export function teacherAgreement(teacher: Predictions, student: Predictions): number {
  requireSamples(teacher, 'Top-1 agreement');
  return mean(agreementPerSample(teacher, student));
}

/** 1 where teacher and student pick the same arg-max class, else 0. */
export function agreementPerSample(teacher: Predictions, student: Predictions): Float64Array {
  requireSameSamples(teacher, student, 'Top-1 agreement');
  return Float64Array.from({ length: teacher.samples }, (_, i) => (predictedClass(teacher, i) === predictedClass(student, i) ? 1 : 0));
}

/** Mean over samples of KL(p_teacher || p_student) = sum_c p_t log(p_t / p_s), in nats. */
export function meanKlDivergence(teacher: Predictions, student: Predictions): number {
  requireSamples(teacher, 'KL divergence');
  return mean(klPerSample(teacher, student));
}

/** KL(p_teacher || p_student) of each sample. */
export function klPerSample(teacher: Predictions, student: Predictions): Float64Array {
  requireSameSamples(teacher, student, 'KL divergence');
  const { probabilities: pt, logProbabilities: lt, classes, samples } = teacher;
  const ls = student.logProbabilities;
  const out = new Float64Array(samples);
  for (let k = 0; k < pt.length; k++) {
    // 0 log 0 = 0: a class the teacher rules out costs nothing, whatever the student says.
    if (pt[k]! > 0) out[Math.floor(k / classes)]! += pt[k]! * (lt[k]! - ls[k]!);
  }
  return out;
}

/**
 * Kendall's tau-b (Kendall 1945): (concordant - discordant) / sqrt((n0 - n1)(n0 - n2)), with n0 the
 * number of pairs and n1, n2 the pairs tied in x and in y. A pair tied in either is neither
 * concordant nor discordant. NaN when x or y is constant (the denominator is 0) or has < 2 entries.
 * O(n^2) pairs: meant for class counts (tens to a few hundred), not long vectors.
 */
export function kendallTauB(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new RetortError('BAD_ARGUMENT', `Kendall tau needs vectors of one length, got ${x.length} and ${y.length}`);
  const n = x.length;
  let concordant = 0;
  let discordant = 0;
  let tiedX = 0;
  let tiedY = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign(x[j]! - x[i]!);
      const dy = Math.sign(y[j]! - y[i]!);
      if (dx === 0) tiedX++;
      if (dy === 0) tiedY++;
      if (dx !== 0 && dy !== 0) {
        if (dx === dy) concordant++;
        else discordant++;
      }
    }
  }
  const pairs = (n * (n - 1)) / 2;
  const denominator = Math.sqrt((pairs - tiedX) * (pairs - tiedY));
  return denominator > 0 ? (concordant - discordant) / denominator : NaN;
}

export interface DarkKnowledge {
  /** Mean per-sample tau-b over the samples where it is defined. */
  meanTau: number;
  /** Samples whose tau-b is defined (needs >= 3 classes and non-constant non-target probabilities). */
  samples: number;
  /** Samples skipped because teacher or student gave every non-target class the same probability. */
  undefinedSamples: number;
}

/**
 * Per sample, tau-b between the teacher's and the student's probabilities over the classes other
 * than the sample's label (the target), averaged over samples. 1: the student ranks the wrong
 * classes exactly as the teacher does; 0: no relation; -1: reversed.
 */
export function darkKnowledgeTau(teacher: Predictions, student: Predictions): DarkKnowledge {
  requireSameSamples(teacher, student, 'Dark-knowledge tau');
  requireSamples(teacher, 'Dark-knowledge tau');
  const { classes } = teacher;
  if (classes < 3) throw new RetortError('BAD_ARGUMENT', `Dark-knowledge tau needs at least 3 classes (2 non-target classes to rank), got ${classes}`);
  const t = new Float64Array(classes - 1);
  const s = new Float64Array(classes - 1);
  let sum = 0;
  let defined = 0;
  for (let i = 0; i < teacher.samples; i++) {
    const target = teacher.labels[i]!;
    let k = 0;
    for (let c = 0; c < classes; c++) {
      if (c === target) continue;
      t[k] = teacher.probabilities[i * classes + c]!;
      s[k] = student.probabilities[i * classes + c]!;
      k++;
    }
    const tau = kendallTauB(t, s);
    if (Number.isNaN(tau)) continue;
    sum += tau;
    defined++;
  }
  return { meanTau: defined > 0 ? sum / defined : NaN, samples: defined, undefinedSamples: teacher.samples - defined };
}

export interface Fidelity {
  topOneAgreement: number;
  meanKl: number;
  darkKnowledge: DarkKnowledge;
}

/** All three fidelity measures of a student to its teacher on the same samples. */
export function fidelity(teacher: Predictions, student: Predictions): Fidelity {
  return {
    topOneAgreement: teacherAgreement(teacher, student),
    meanKl: meanKlDivergence(teacher, student),
    darkKnowledge: darkKnowledgeTau(teacher, student),
  };
}
