/**
 * Offline distillation: a frozen ONNX teacher run by ORT, any ONNX student trained on
 * `hintonLoss` with the Trainer. The teacher's logits are cached when the student's inputs are not
 * augmented and computed per batch when they are.
 */
import type { ModelProto } from '../onnx/proto.js';
import { Trainer, type TrainData, type TrainerConfig, type TrainResult } from '../train/trainer.js';
import { hintonLoss, needsTeacher, TEACHER_LOGITS_INPUT, type HintonOptions } from './hintonLoss.js';
import { cacheTeacherLogits, cachedTeacherFeeds, openTeacher, perBatchTeacherFeeds } from './teacherSignals.js';

export interface DistillationRun {
  teacher: ModelProto;
  student: ModelProto;
  data: TrainData;
  /** Trainer settings; `loss` is set by distillation. */
  trainer: Omit<TrainerConfig, 'loss'>;
  kd: HintonOptions;
  /** 'auto' (default): cached unless augmented. 'per-batch' forces the teacher to run every step. */
  teacherSignal?: 'auto' | 'cached' | 'per-batch';
}

export interface DistillationResult extends TrainResult {
  teacherSignal: 'cached' | 'per-batch' | 'none';
}

export async function createDistillationTrainer(run: DistillationRun, resumeFrom?: string): Promise<{ trainer: Trainer; teacherSignal: DistillationResult['teacherSignal']; close: () => Promise<void> }> {
  const config: TrainerConfig = { ...run.trainer, loss: hintonLoss(run.kd) };
  if (!needsTeacher(run.kd)) {
    const trainer = await Trainer.create(run.student, config, run.data, { resumeFrom });
    return { trainer, teacherSignal: 'none', close: () => trainer.dispose() };
  }
  const teacher = await openTeacher(run.teacher, run.trainer.threads ?? 0);
  const mode = run.teacherSignal ?? 'auto';
  const perBatch = mode === 'per-batch' || (mode === 'auto' && run.trainer.augmentation !== undefined);
  const extraFeeds = perBatch ? perBatchTeacherFeeds(teacher) : cachedTeacherFeeds(await cacheTeacherLogits(teacher, run.data.train));
  const trainer = await Trainer.create(run.student, config, run.data, { resumeFrom, extraFeeds, extraInputs: [TEACHER_LOGITS_INPUT] });
  return {
    trainer,
    teacherSignal: perBatch ? 'per-batch' : 'cached',
    close: async () => {
      await trainer.dispose();
      await teacher.session.dispose();
    },
  };
}

export async function distill(run: DistillationRun, resumeFrom?: string): Promise<DistillationResult> {
  const { trainer, teacherSignal, close } = await createDistillationTrainer(run, resumeFrom);
  try {
    return { ...(await trainer.fit()), teacherSignal };
  } finally {
    await close();
  }
}
