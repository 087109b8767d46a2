/**
 * Teacher signals for distillation: a set of named teacher values (its logits, and any
 * intermediate value addressed by ONNX value name, exposed as extra outputs of the teacher
 * session). Without augmentation a sample's teacher values never change, so they are computed once
 * over the dataset and gathered per batch; with augmentation the teacher must see the same jittered
 * batch as the student, so it runs per batch.
 */
import type { Dataset } from '../data/dataset.js';
import { encodeModel } from '../onnx/model.js';
import { Graph } from '../onnx/graph.js';
import { newValueInfo, type ModelProto } from '../onnx/proto.js';
import { cloneForEditing } from '../autodiff/gradientModel.js';
import { Session, type Feeds } from '../runtime/session.js';
import { dimsOf, floatTensor, readFloats } from '../runtime/tensors.js';
import type { BatchView, ExtraFeeds } from '../train/trainer.js';
import { RetortError } from '../util/errors.js';
import { TEACHER_LOGITS_INPUT, teacherInputName } from './terms/objective.js';
import { TEACHER_OUTPUT } from './terms/types.js';

export interface Teacher {
  session: Session;
  input: string;
  /** The teacher's first output (its logits). */
  output: string;
  /** Input dims per sample, as the teacher declares them (e.g. [784] or [1, 28, 28]). */
  sampleDims: number[];
  /** The teacher values this session fetches (TEACHER_OUTPUT for the logits, else ONNX value names). */
  values: string[];
}

/** Per-sample values of a set of teacher values, sample-major, by value reference. */
export type TeacherValues = Map<string, { data: Float32Array; sampleDims: number[] }>;

/**
 * Opens the teacher with `values` as outputs: the logits (TEACHER_OUTPUT, the default) and any
 * intermediate value by ONNX value name, added as extra graph outputs of a copy of the model.
 */
export async function openTeacher(model: ModelProto, threads = 0, values: readonly string[] = [TEACHER_OUTPUT]): Promise<Teacher> {
  const copy = cloneForEditing(model);
  const graph = new Graph(copy.graph!);
  const inputs = graph.dataInputs;
  if (inputs.length !== 1) {
    throw new RetortError('BAD_ARGUMENT', `A teacher must have one input; this one has ${inputs.map((i) => i.name).join(', ')}`);
  }
  const output = graph.outputs[0]!.name;
  const known = new Set([...graph.nodes.flatMap((n) => n.output), ...graph.outputs.map((o) => o.name)]);
  const missing = values.filter((v) => v !== TEACHER_OUTPUT && !known.has(v));
  if (missing.length > 0) {
    const sample = [...known].slice(0, 20).join(', ');
    throw new RetortError('UNKNOWN_KEY', `The teacher has no value named ${missing.map((m) => `"${m}"`).join(', ')}. Its values include: ${sample}${known.size > 20 ? ', ...' : ''}`);
  }
  for (const value of values) if (value !== TEACHER_OUTPUT && !graph.isGraphOutput(value)) copy.graph!.output.push(newValueInfo({ name: value }));
  graph.touch();
  const dims = inputs[0]!.type?.tensorType?.shape?.dim ?? [];
  const sampleDims = dims.slice(1).map((d) => Number(d.dimValue ?? 0));
  const session = await Session.create(encodeModel(copy), { name: 'teacher', threads });
  return { session, input: inputs[0]!.name, output, sampleDims, values: [...new Set(values)] };
}

const outputName = (teacher: Teacher, value: string) => (value === TEACHER_OUTPUT ? teacher.output : value);

/** The teacher's values for `count` samples laid out in `inputs` (any per-sample layout of the same size). */
export async function teacherValues(teacher: Teacher, inputs: Float32Array, count: number): Promise<TeacherValues> {
  const fetches = [...new Set(teacher.values.map((v) => outputName(teacher, v)))];
  const result = await teacher.session.run({ [teacher.input]: floatTensor(inputs, [count, ...teacher.sampleDims]) }, fetches);
  return new Map(teacher.values.map((value) => {
    const tensor = result[outputName(teacher, value)]!;
    const dims = dimsOf(tensor);
    if (dims[0] !== count) throw new RetortError('SHAPE_UNKNOWN', `Teacher value "${value}" has dims [${dims.join(', ')}]; expected the batch (${count}) first`);
    return [value, { data: readFloats(tensor, `teacher value "${value}"`), sampleDims: dims.slice(1) }];
  }));
}

/** Teacher logits for `count` samples laid out in `inputs`. */
export async function teacherLogits(teacher: Teacher, inputs: Float32Array, count: number): Promise<Float32Array> {
  const result = await teacher.session.run({ [teacher.input]: floatTensor(inputs, [count, ...teacher.sampleDims]) }, [teacher.output]);
  return readFloats(result[teacher.output]!, 'teacher logits');
}

/** Bytes a cache of the teacher's values over `dataset` would take (from one sample's values). */
export async function teacherCacheBytes(teacher: Teacher, dataset: Dataset): Promise<number> {
  const row = dataset.inputs.length / dataset.length;
  const one = await teacherValues(teacher, dataset.inputs.subarray(0, row), 1);
  return [...one.values()].reduce((total, v) => total + v.data.length * 4 * dataset.length, 0);
}

/** Every sample's teacher values, computed in chunks. */
export async function cacheTeacherValues(teacher: Teacher, dataset: Dataset, chunk = 1000): Promise<TeacherValues> {
  const row = dataset.inputs.length / dataset.length;
  const cache: TeacherValues = new Map();
  for (let start = 0; start < dataset.length; start += chunk) {
    const count = Math.min(chunk, dataset.length - start);
    const out = await teacherValues(teacher, dataset.inputs.subarray(start * row, (start + count) * row), count);
    for (const [value, { data, sampleDims }] of out) {
      const size = data.length / count;
      let entry = cache.get(value);
      if (!entry) cache.set(value, (entry = { data: new Float32Array(dataset.length * size), sampleDims }));
      entry.data.set(data, start * size);
    }
  }
  return cache;
}

/** Logits of every sample, in chunks: [length, classes]. */
export async function cacheTeacherLogits(teacher: Teacher, dataset: Dataset, chunk = 1000): Promise<{ logits: Float32Array; classes: number }> {
  const logitsOnly: Teacher = { ...teacher, values: [TEACHER_OUTPUT] };
  const { data, sampleDims } = (await cacheTeacherValues(logitsOnly, dataset, chunk)).get(TEACHER_OUTPUT)!;
  return { logits: data, classes: sampleDims.reduce((a, c) => a * c, 1) };
}

/** Feeds gathering cached rows by the batch's dataset indices, one input per teacher value. */
export function cachedTeacherFeeds(cache: TeacherValues | { logits: Float32Array; classes: number }): ExtraFeeds {
  const values: TeacherValues = cache instanceof Map ? cache : new Map([[TEACHER_OUTPUT, { data: cache.logits, sampleDims: [cache.classes] }]]);
  return async (batch: BatchView): Promise<Feeds> => {
    const feeds: Feeds = {};
    for (const [value, { data, sampleDims }] of values) {
      const size = sampleDims.reduce((a, c) => a * c, 1);
      const out = new Float32Array(batch.indices.length * size);
      batch.indices.forEach((index, i) => out.set(data.subarray(index * size, (index + 1) * size), i * size));
      feeds[teacherInputName(value)] = floatTensor(out, [batch.indices.length, ...sampleDims]);
    }
    return feeds;
  };
}

/** Feeds running the teacher on the batch as the student sees it (augmented). */
export function perBatchTeacherFeeds(teacher: Teacher): ExtraFeeds {
  return async (batch: BatchView): Promise<Feeds> => {
    const count = batch.indices.length;
    const out = await teacherValues(teacher, batch.inputs, count);
    return Object.fromEntries([...out].map(([value, { data, sampleDims }]) => [teacherInputName(value), floatTensor(data, [count, ...sampleDims])]));
  };
}

export { TEACHER_LOGITS_INPUT };
