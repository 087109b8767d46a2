/**
 * Teacher logits for distillation. Without augmentation a sample's teacher output never changes,
 * so it is computed once over the dataset and gathered per batch; with augmentation the teacher
 * must see the same jittered batch as the student, so it runs per batch.
 */
import type { Dataset } from '../data/dataset.js';
import { encodeModel } from '../onnx/model.js';
import { Graph } from '../onnx/graph.js';
import type { ModelProto } from '../onnx/proto.js';
import { Session, type Feeds } from '../runtime/session.js';
import { floatTensor, readFloats } from '../runtime/tensors.js';
import type { BatchView, ExtraFeeds } from '../train/trainer.js';
import { RetortError } from '../util/errors.js';
import { TEACHER_LOGITS_INPUT } from './hintonLoss.js';

export interface Teacher {
  session: Session;
  input: string;
  output: string;
  /** Input dims per sample, as the teacher declares them (e.g. [784] or [1, 28, 28]). */
  sampleDims: number[];
}

export async function openTeacher(model: ModelProto, threads = 0): Promise<Teacher> {
  const graph = new Graph(model.graph!);
  const inputs = graph.dataInputs;
  if (inputs.length !== 1) {
    throw new RetortError('BAD_ARGUMENT', `A teacher must have one input; this one has ${inputs.map((i) => i.name).join(', ')}`);
  }
  const dims = inputs[0]!.type?.tensorType?.shape?.dim ?? [];
  const sampleDims = dims.slice(1).map((d) => Number(d.dimValue ?? 0));
  const session = await Session.create(encodeModel(model), { name: 'teacher', threads });
  return { session, input: inputs[0]!.name, output: graph.outputs[0]!.name, sampleDims };
}

/** Teacher logits for `count` samples laid out in `inputs` (any per-sample layout of the same size). */
export async function teacherLogits(teacher: Teacher, inputs: Float32Array, count: number): Promise<Float32Array> {
  const result = await teacher.session.run({ [teacher.input]: floatTensor(inputs, [count, ...teacher.sampleDims]) }, [teacher.output]);
  return readFloats(result[teacher.output]!, 'teacher logits');
}

/** Logits of every sample, in chunks: [length, classes]. */
export async function cacheTeacherLogits(teacher: Teacher, dataset: Dataset, chunk = 1000): Promise<{ logits: Float32Array; classes: number }> {
  const row = dataset.inputs.length / dataset.length;
  let logits: Float32Array | undefined;
  let classes = 0;
  for (let start = 0; start < dataset.length; start += chunk) {
    const count = Math.min(chunk, dataset.length - start);
    const out = await teacherLogits(teacher, dataset.inputs.subarray(start * row, (start + count) * row), count);
    classes = out.length / count;
    logits ??= new Float32Array(dataset.length * classes);
    logits.set(out, start * classes);
  }
  return { logits: logits!, classes };
}

/** Feeds gathering cached rows by the batch's dataset indices. */
export function cachedTeacherFeeds(cache: { logits: Float32Array; classes: number }): ExtraFeeds {
  const { logits, classes } = cache;
  return async (batch: BatchView): Promise<Feeds> => {
    const out = new Float32Array(batch.indices.length * classes);
    batch.indices.forEach((index, i) => out.set(logits.subarray(index * classes, (index + 1) * classes), i * classes));
    return { [TEACHER_LOGITS_INPUT]: floatTensor(out, [batch.indices.length, classes]) };
  };
}

/** Feeds running the teacher on the batch as the student sees it (augmented). */
export function perBatchTeacherFeeds(teacher: Teacher): ExtraFeeds {
  return async (batch: BatchView): Promise<Feeds> => {
    const count = batch.indices.length;
    const out = await teacherLogits(teacher, batch.inputs, count);
    return { [TEACHER_LOGITS_INPUT]: floatTensor(out, [count, out.length / count]) };
  };
}
