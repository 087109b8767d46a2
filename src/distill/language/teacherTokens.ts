/**
 * Teacher signals on token windows: the teacher runs on each step's windows (int64 [batch, context])
 * and its values — the logits [batch, context, vocab], and any intermediate value the terms name —
 * are fed to the student's training graph as they come out of ORT. Windows are drawn at random each
 * step (or sampled from a model), so unlike a fixed dataset there is nothing worth caching: the
 * signal is always per batch.
 */
import { languageModelIo, windowLength } from '../../data/text/forLanguageModel.js';
import type { ModelProto } from '../../onnx/proto.js';
import type { Feeds } from '../../runtime/session.js';
import { dimsOf, int64Tensor } from '../../runtime/tensors.js';
import type { BatchView, ExtraFeeds, LanguageModelData } from '../../train/trainer.js';
import { RetortError } from '../../util/errors.js';
import type { Teacher } from '../teacherSignals.js';
import { teacherInputName } from '../terms/objective.js';
import { TEACHER_OUTPUT } from '../terms/types.js';

export interface TokenTeacherSignal {
  feeds: ExtraFeeds;
  /** Per-window dims of each teacher value (e.g. [context, vocab] for the logits), by value reference. */
  sampleDims: Map<string, number[]>;
}

const outputName = (teacher: Teacher, value: string) => (value === TEACHER_OUTPUT ? teacher.output : value);

/** The teacher's values on `windows` ([count, context] token ids), by value reference, as ORT tensors. */
export async function teacherTokenValues(teacher: Teacher, ids: BigInt64Array, count: number, context: number): Promise<Feeds> {
  const fetches = [...new Set(teacher.values.map((v) => outputName(teacher, v)))];
  const result = await teacher.session.run({ [teacher.input]: int64Tensor(ids, [count, context]) }, fetches);
  return Object.fromEntries(teacher.values.map((value) => {
    const tensor = result[outputName(teacher, value)]!;
    if (tensor.type !== 'float32') throw new RetortError('DATA_INVALID', `Teacher value "${value}" is ${tensor.type}; distillation terms read float values`);
    const dims = dimsOf(tensor);
    if (dims[0] !== count) throw new RetortError('SHAPE_UNKNOWN', `Teacher value "${value}" has dims [${dims.join(', ')}]; expected the batch (${count}) first`);
    return [value, tensor];
  }));
}

/**
 * The per-batch teacher signal for language-model data: checks that the teacher reads windows of the
 * data's context, measures its values' dims on one window, and feeds its values for each batch's
 * windows. `mode` 'cached' is refused (there is no fixed set of windows to cache).
 */
export async function tokenTeacherSignal(teacherModel: ModelProto, teacher: Teacher, data: LanguageModelData, mode: 'auto' | 'cached' | 'per-batch' = 'auto'): Promise<TokenTeacherSignal> {
  if (mode === 'cached') throw new RetortError('BAD_ARGUMENT', 'Teacher signal "cached" does not apply to token windows (they are drawn at random each step); use "auto" or "per-batch"');
  const io = languageModelIo(teacherModel, 'the teacher');
  windowLength(io, data.context, 'the teacher');
  const { context } = data;
  if (data.train.vocabSize > (io.vocabSize ?? Infinity)) {
    throw new RetortError('DATA_INVALID', `The data has ${data.train.vocabSize} token ids but the teacher predicts ${io.vocabSize}`);
  }
  const probe = new BigInt64Array(context);
  for (let t = 0; t < context; t++) probe[t] = BigInt(data.train.tokens[t] ?? 0);
  const values = await teacherTokenValues(teacher, probe, 1, context);
  const sampleDims = new Map(Object.entries(values).map(([value, tensor]) => [value, dimsOf(tensor).slice(1)]));
  const feeds = async (batch: BatchView): Promise<Feeds> => {
    const windows = batch.tokens;
    if (!windows) throw new RetortError('BAD_ARGUMENT', 'A token teacher signal needs token windows; this batch holds float samples');
    const out = await teacherTokenValues(teacher, windows.inputs, windows.count, windows.context);
    return Object.fromEntries(Object.entries(out).map(([value, tensor]) => [teacherInputName(value), tensor]));
  };
  return { feeds, sampleDims };
}
