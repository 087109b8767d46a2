/**
 * Black-box distillation: the student learns from soft targets built from a teacher's labels or
 * top-k probabilities (softTargets.ts) instead of a teacher model's logits. It reuses the cached
 * teacher-signal path of distill.ts unchanged: the targets' log-probabilities are fed as the
 * teacher's "logits" (cachedTeacherFeeds gathers them by the batch's dataset indices), and the `kd`
 * term at temperature 1 turns them back into the targets, since softmax(log p) = p:
 *   loss = alpha · CE(student, labels) + (1 - alpha) · KL(targets || softmax(student))
 * Temperature does not apply: the teacher's probabilities are known only at T = 1. Augmentation is
 * refused: the targets belong to the unaugmented inputs the teacher saw.
 */
import type { Dataset } from '../../data/dataset.js';
import type { ModelProto } from '../../onnx/proto.js';
import { Trainer, type TrainerConfig, type TrainResult } from '../../train/trainer.js';
import { RetortError } from '../../util/errors.js';
import { cachedTeacherFeeds } from '../teacherSignals.js';
import { composeObjective, objectiveFeeds, recordedTerms } from '../terms/objective.js';
import { crossEntropyTerm, kdTerm } from '../terms/response.js';
import { TEACHER_OUTPUT, type WeightedTerm } from '../terms/types.js';
import { softTargets, targetLogProbabilities } from './softTargets.js';
import type { TeacherOutput } from './teacherOutputs.js';

export interface BlackBoxRun {
  student: ModelProto;
  /** Training samples with their real labels; `outputs` has one entry per training sample, in order. */
  data: { train: Dataset; validation?: Dataset; test?: Dataset };
  outputs: readonly TeacherOutput[];
  /** Weight of the cross-entropy with the real labels, in [0, 1]; the KL to the targets gets 1 - alpha. */
  alpha: number;
  /** Trainer settings; `loss` is set here, and augmentation is not allowed. */
  trainer: Omit<TrainerConfig, 'loss'>;
}

/** The objective: `ce` weighted alpha and `kd` (forward KL at T = 1) weighted 1 - alpha; zero weights left out. */
export function blackBoxTerms(alpha: number): WeightedTerm[] {
  if (!(alpha >= 0 && alpha <= 1)) throw new RetortError('BAD_ARGUMENT', `alpha must be between 0 and 1, got ${alpha}`);
  const terms: WeightedTerm[] = [];
  if (alpha > 0) terms.push({ name: 'ce', weight: alpha, term: crossEntropyTerm() });
  if (alpha < 1) terms.push({ name: 'kd', weight: 1 - alpha, term: kdTerm({ divergence: 'forward-kl', temperature: 1 }) });
  return terms;
}

export async function createBlackBoxTrainer(run: BlackBoxRun, resumeFrom?: string): Promise<Trainer> {
  const { train } = run.data;
  if (run.outputs.length !== train.length) {
    throw new RetortError('DATA_INVALID', `Black-box teacher: ${run.outputs.length} teacher outputs for ${train.length} training samples (one per sample, in dataset order)`);
  }
  if (run.trainer.augmentation) throw new RetortError('BAD_ARGUMENT', 'Black-box distillation cannot augment the inputs: the teacher outputs belong to the inputs as given');
  const classes = train.numClasses;
  const terms = blackBoxTerms(run.alpha);
  const logTargets = targetLogProbabilities(softTargets(run.outputs, classes));
  const teacherFeeds = cachedTeacherFeeds(new Map([[TEACHER_OUTPUT, { data: logTargets, sampleDims: [classes] }]]));
  const objective = composeObjective(terms, { seed: run.trainer.seed, teacherSampleDims: new Map([[TEACHER_OUTPUT, [classes]]]) });
  const key = JSON.stringify({ blackBox: true, terms: recordedTerms(terms) });
  return Trainer.create(run.student, { ...run.trainer, loss: { ...objective.loss, key } }, run.data, {
    resumeFrom,
    extraFeeds: objectiveFeeds(objective, teacherFeeds),
    extraInputs: objective.extraInputs,
  });
}

/** Trains the student on the black-box teacher's soft targets (and the real labels, weighted alpha). */
export async function blackBoxDistill(run: BlackBoxRun, resumeFrom?: string): Promise<TrainResult> {
  const trainer = await createBlackBoxTrainer(run, resumeFrom);
  try {
    return await trainer.fit();
  } finally {
    await trainer.dispose();
  }
}
