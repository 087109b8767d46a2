/**
 * Offline distillation: a frozen ONNX teacher run by ORT, any ONNX student trained with the
 * Trainer on an objective of distillation terms (terms/), by default Hinton's classic KD. The
 * teacher's values (logits and any intermediate values the terms read) are cached when the
 * student's inputs are not augmented and computed per batch when they are. On language-model data
 * (token windows) the terms compare [batch, seq, vocab] logits at every position and the teacher
 * runs per batch (language/teacherTokens.ts).
 */
import type { ModelProto } from '../onnx/proto.js';
import { Trainer, type ExtraFeeds, type TrainerConfig, type TrainerData, type TrainResult } from '../train/trainer.js';
import { RetortError } from '../util/errors.js';
import { classicKdTerms, type HintonOptions } from './hintonLoss.js';
import { tokenTeacherSignal } from './language/teacherTokens.js';
import { cachedTeacherFeeds, cacheTeacherValues, openTeacher, perBatchTeacherFeeds, teacherCacheBytes, teacherValues, type Teacher } from './teacherSignals.js';
import { composeObjective, objectiveFeeds, recordedTerms } from './terms/objective.js';
import type { WeightedTerm } from './terms/types.js';

/** 'auto' caches teacher values over the dataset up to this size, and runs the teacher per batch beyond it. */
export const TEACHER_CACHE_LIMIT_BYTES = 1 << 30;

export interface DistillationRun {
  teacher: ModelProto;
  student: ModelProto;
  /** Samples with class labels, or token sequences (language models: teacher logits per batch of windows). */
  data: TrainerData;
  /** Trainer settings; `loss` is set by distillation. */
  trainer: Omit<TrainerConfig, 'loss'>;
  /** Classic KD (Hinton et al. 2015): the `ce` and `kd` terms. Ignored when `terms` is given. */
  kd?: HintonOptions;
  /** The objective: a weighted sum of named terms. */
  terms?: WeightedTerm[];
  /**
   * 'auto' (default): cached unless augmented (or larger than TEACHER_CACHE_LIMIT_BYTES).
   * 'per-batch' forces the teacher to run every step.
   */
  teacherSignal?: 'auto' | 'cached' | 'per-batch';
}

export interface DistillationResult extends TrainResult {
  teacherSignal: 'cached' | 'per-batch' | 'none';
}

function objectiveTerms(run: DistillationRun): { terms: WeightedTerm[]; key?: string } {
  if (run.terms) return { terms: run.terms, key: JSON.stringify(recordedTerms(run.terms)) };
  if (!run.kd) throw new RetortError('BAD_ARGUMENT', 'A distillation run needs kd (classic KD options) or terms');
  return { terms: classicKdTerms(run.kd) };
}

export async function createDistillationTrainer(run: DistillationRun, resumeFrom?: string): Promise<{ trainer: Trainer; teacherSignal: DistillationResult['teacherSignal']; close: () => Promise<void> }> {
  const { terms, key } = objectiveTerms(run);
  const values = [...new Set(terms.flatMap((t) => t.term.teacherValues))];
  let teacher: Teacher | undefined;
  let teacherFeeds: ExtraFeeds | undefined;
  let signal: DistillationResult['teacherSignal'] = 'none';
  let teacherSampleDims: Map<string, number[]> | undefined;
  if (values.length > 0 && run.data.kind === 'languageModeling') {
    teacher = await openTeacher(run.teacher, run.trainer.threads ?? 0, values);
    try {
      ({ feeds: teacherFeeds, sampleDims: teacherSampleDims } = await tokenTeacherSignal(run.teacher, teacher, run.data, run.teacherSignal));
    } catch (error) {
      await teacher.session.dispose();
      throw error;
    }
    signal = 'per-batch';
  } else if (values.length > 0 && run.data.kind !== 'languageModeling') {
    teacher = await openTeacher(run.teacher, run.trainer.threads ?? 0, values);
    const train = run.data.train;
    const row = train.inputs.length / train.length;
    const probe = await teacherValues(teacher, train.inputs.subarray(0, row), 1);
    teacherSampleDims = new Map([...probe].map(([value, v]) => [value, v.sampleDims]));
    const mode = run.teacherSignal ?? 'auto';
    const perBatch = mode === 'per-batch' || (mode === 'auto' && (run.trainer.augmentation !== undefined || (await teacherCacheBytes(teacher, train)) > TEACHER_CACHE_LIMIT_BYTES));
    teacherFeeds = perBatch ? perBatchTeacherFeeds(teacher) : cachedTeacherFeeds(await cacheTeacherValues(teacher, train));
    signal = perBatch ? 'per-batch' : 'cached';
  }
  const objective = composeObjective(terms, { seed: run.trainer.seed, teacherSampleDims });
  const config: TrainerConfig = { ...run.trainer, loss: key ? { ...objective.loss, key } : objective.loss };
  try {
    const trainer = await Trainer.create(run.student, config, run.data, { resumeFrom, extraFeeds: objectiveFeeds(objective, teacherFeeds), extraInputs: objective.extraInputs });
    return {
      trainer,
      teacherSignal: signal,
      close: async () => {
        await trainer.dispose();
        await teacher?.session.dispose();
      },
    };
  } catch (error) {
    await teacher?.session.dispose();
    throw error;
  }
}

export async function distill(run: DistillationRun, resumeFrom?: string): Promise<DistillationResult> {
  const { trainer, teacherSignal, close } = await createDistillationTrainer(run, resumeFrom);
  try {
    return { ...(await trainer.fit()), teacherSignal };
  } finally {
    await close();
  }
}
