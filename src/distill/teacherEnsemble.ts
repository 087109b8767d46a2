/**
 * An ensemble of ONNX teachers as one teacher: the teachers run side by side in one ONNX graph
 * (sideBySide.ts) and the graph ends in their combined soft targets, so cached or per-batch teacher
 * signals, and every term that reads the teacher's logits, work on an ensemble unchanged.
 *
 * Soft targets at temperature T: p_k = softmax(z_k / T) for teacher k, combined as
 *   p̄(x) = Σ_k w_k(x) p_k(x)
 * with either fixed weights (normalised to sum 1) or per-sample weights by teacher confidence, a
 * simple variant of AE-KD (Du et al. 2020) and of confidence-weighted multi-teacher KD:
 *   w_k(x) = softmax_k(c_k(x) / τ),  c_k = max_c q_k(c)  ('max-probability')
 *                                   or c_k = Σ_c q_k(c) log q_k(c)  ('negative-entropy'),
 * where q_k = softmax(z_k) is teacher k's own (T = 1) prediction and τ the weighting temperature.
 *
 * The ensemble's output is the equivalent logits T · log p̄ (computed as a log-sum-exp, so tiny
 * probabilities never underflow): softmax of them at temperature T is exactly p̄. At another
 * temperature T' a term sees p̄^(T/T'), renormalised. Only the combined output is exposed: feature
 * terms (FitNets, AT, RKD) need a single teacher.
 */
import { GraphBuilder } from '../autodiff/builder.js';
import { defaultOpset } from '../autodiff/gradientModel.js';
import { Graph } from '../onnx/graph.js';
import { newValueInfo, type ModelProto } from '../onnx/proto.js';
import { RetortError } from '../util/errors.js';
import { composeSideBySide } from './sideBySide.js';

export const ENSEMBLE_OUTPUT = 'ensemble_logits';
/** Second output: the per-sample teacher weights [N, K] (for inspection and tests). */
export const ENSEMBLE_WEIGHTS_OUTPUT = 'ensemble_weights';

export type ConfidenceMeasure = 'max-probability' | 'negative-entropy';
export const CONFIDENCE_MEASURES = ['max-probability', 'negative-entropy'] as const;

export type TeacherWeighting =
  /** w_k fixed for every sample; normalised to sum to 1. */
  | { kind: 'fixed'; weights: readonly number[] }
  /** w_k(x) = softmax_k(c_k(x) / temperature). */
  | { kind: 'confidence'; measure: ConfidenceMeasure; temperature: number };

export interface EnsembleOptions {
  /** The distillation temperature T the soft targets are averaged at. */
  temperature: number;
  weighting: TeacherWeighting;
}

function check(teachers: number, options: EnsembleOptions): void {
  if (teachers < 1) throw new RetortError('BAD_ARGUMENT', 'A teacher ensemble needs at least one teacher');
  if (!(options.temperature > 0)) throw new RetortError('BAD_ARGUMENT', `Ensemble temperature must be positive, got ${options.temperature}`);
  const w = options.weighting;
  if (w.kind === 'fixed') {
    if (w.weights.length !== teachers) throw new RetortError('BAD_ARGUMENT', `${w.weights.length} teacher weights for ${teachers} teachers`);
    if (w.weights.some((x) => !(x >= 0)) || !(w.weights.reduce((a, x) => a + x, 0) > 0)) {
      throw new RetortError('BAD_ARGUMENT', `Teacher weights must be non-negative with a positive sum, got ${w.weights.join(', ')}`);
    }
  } else if (!(w.temperature > 0)) {
    throw new RetortError('BAD_ARGUMENT', `Confidence weighting temperature must be positive, got ${w.temperature}`);
  } else if (!CONFIDENCE_MEASURES.includes(w.measure)) {
    throw new RetortError('BAD_ARGUMENT', `Unknown confidence measure "${w.measure as string}". Should be one of: ${CONFIDENCE_MEASURES.join(', ')}`);
  }
}

/** One teacher model computing the ensemble's equivalent logits (first output) and weights (second). */
export function buildTeacherEnsemble(teachers: readonly ModelProto[], options: EnsembleOptions): ModelProto {
  check(teachers.length, options);
  const members = teachers.map((model, k) => ({ prefix: `teacher${k}`, model }));
  const model = composeSideBySide(members);
  const graph = new Graph(model.graph!);
  // Each teacher's first output: its logits.
  const teacherLogits = teachers.map((t, k) => `teacher${k}/${t.graph!.output[0]!.name}`);
  const b = new GraphBuilder(graph, defaultOpset(model), 'ensemble/');
  const { temperature, weighting } = options;
  const logSoftmax = (x: string) => b.op('LogSoftmax', [x], { axis: -1 });
  const logTargets = teacherLogits.map((z) => logSoftmax(temperature === 1 ? z : b.scale(z, 1 / temperature)));

  let logWeights: string[];
  let weightsOutput: string;
  if (weighting.kind === 'fixed') {
    const total = weighting.weights.reduce((a, x) => a + x, 0);
    // log 0 = -inf would poison the log-sum-exp with NaN (-inf - -inf); a zero weight drops the teacher instead.
    logWeights = weighting.weights.map((x) => b.constFloat(x > 0 ? Math.log(x / total) : -1e30));
    const row = b.constFloat(weighting.weights.map((x) => x / total), [1, teachers.length]);
    const batchSize = b.slice(b.op('Shape', [teacherLogits[0]!]), [0], [1], [0]);
    weightsOutput = b.op('Expand', [row, b.concat([batchSize, b.constInt64([teachers.length], [1])], 0)]);
  } else {
    const confidences = teacherLogits.map((z) => {
      const logQ = logSoftmax(z);
      const q = b.exp(logQ);
      return weighting.measure === 'max-probability' ? b.reduceMax(q, [-1], true) : b.reduceSum(b.mul(q, logQ), [-1], true);
    });
    const scores = b.concat(confidences, 1);
    const logW = logSoftmax(weighting.temperature === 1 ? scores : b.scale(scores, 1 / weighting.temperature));
    logWeights = teachers.length === 1 ? [logW] : b.split(logW, 1, teachers.map(() => 1));
    weightsOutput = b.exp(logW);
  }
  // log p̄ = logsumexp_k(log w_k + log p_k), elementwise over [N, C].
  const terms = logTargets.map((lp, k) => b.add(lp, logWeights[k]!));
  const peak = terms.length === 1 ? terms[0]! : b.op('Max', terms);
  const logMean = b.add(peak, b.op('Log', [b.sum(terms.map((t) => b.exp(b.sub(t, peak))))]));
  graph.addNode({ opType: 'Identity', inputs: [temperature === 1 ? logMean : b.scale(logMean, temperature)], outputs: [ENSEMBLE_OUTPUT], name: 'ensemble/output' });
  graph.addNode({ opType: 'Identity', inputs: [weightsOutput], outputs: [ENSEMBLE_WEIGHTS_OUTPUT], name: 'ensemble/weights' });
  // The members' own outputs are dropped: the ensemble is one teacher with one logits output.
  model.graph!.output = [newValueInfo({ name: ENSEMBLE_OUTPUT }), newValueInfo({ name: ENSEMBLE_WEIGHTS_OUTPUT })];
  graph.touch();
  graph.sortNodes();
  return model;
}
