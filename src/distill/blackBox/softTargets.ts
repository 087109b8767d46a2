/**
 * Soft targets from black-box teacher outputs, for the existing distillation terms:
 *  - top-k probabilities → a full distribution: the listed classes keep their probabilities and the
 *    remaining mass 1 - sum is spread uniformly over the unlisted classes. Truncated posteriors are
 *    the "top-k" black-box setting of Orekondy et al. 2019 (Knockoff Nets, §6 "truncated
 *    posteriors"); the uniform spread of the rest is our convention (the least informative
 *    completion), not a result from that paper. When the k classes already carry all the mass (or
 *    k = classes), the listed probabilities are renormalised to sum to 1.
 *  - a label only → one-hot: distillation then is plain training on the teacher's labels, as in
 *    Kim & Rush 2016 (sequence-level KD trains on the teacher's argmax outputs).
 * The probabilities are the teacher's at T = 1; they cannot be re-softened, since the logits are
 * unknown, so black-box distillation runs its KL term at temperature 1.
 */
import type { TeacherOutput } from './teacherOutputs.js';

/**
 * Floor of a target probability before its log: log 0 would make the KL term's p·log p NaN, and a
 * floored class contributes about 1e-30 · (log 1e-30 - log q), far below float32 resolution of the loss.
 */
export const TARGET_PROBABILITY_FLOOR = 1e-30;

/** The full distribution over `classes` for one teacher output. */
export function targetDistribution(output: TeacherOutput, classes: number): Float32Array {
  const row = new Float64Array(classes);
  if (output.kind === 'label') {
    row[output.label] = 1;
    return Float32Array.from(row);
  }
  let listed = 0;
  for (const [cls, probability] of output.topk) {
    row[cls] = probability;
    listed += probability;
  }
  const unlisted = classes - output.topk.length;
  const rest = 1 - listed;
  if (unlisted > 0 && rest > 0) {
    const share = rest / unlisted;
    const inTopk = new Set(output.topk.map(([cls]) => cls));
    for (let c = 0; c < classes; c++) if (!inTopk.has(c)) row[c] = share;
  } else if (listed > 0) {
    for (let c = 0; c < classes; c++) row[c]! /= listed;
  } else {
    row.fill(1 / classes);
  }
  return Float32Array.from(row);
}

/** Every sample's distribution, sample-major: [samples, classes]. */
export function softTargets(outputs: readonly TeacherOutput[], classes: number): Float32Array {
  const targets = new Float32Array(outputs.length * classes);
  outputs.forEach((output, i) => targets.set(targetDistribution(output, classes), i * classes));
  return targets;
}

/**
 * log max(p, floor): fed to the distillation terms in place of teacher logits. A softmax of log p is
 * p itself, so the `kd` term at temperature 1 computes KL(p || student) unchanged.
 */
export function targetLogProbabilities(targets: Float32Array): Float32Array {
  return targets.map((p) => Math.log(Math.max(p, TARGET_PROBABILITY_FLOOR)));
}

/** The teacher's class per sample (argmax of its distribution; ties to the lowest class). */
export function targetClasses(targets: Float32Array, classes: number): Int32Array {
  const out = new Int32Array(targets.length / classes);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (targets[i * classes + c]! > targets[i * classes + best]!) best = c;
    out[i] = best;
  }
  return out;
}
