/**
 * Where a language-model student comes from: a model as given, a fresh architecture (e.g.
 * `gpt:layers=2,dim=64,heads=4,context=128`) built for the data's vocabulary, or a subset of the
 * teacher's own layers with its embeddings, final norm and head (DistilBERT, Sanh et al. 2019, §3:
 * "taking one layer out of two"; models/layerSubset.ts).
 */
import { resolve } from 'node:path';
import { withContextMetadata } from '../../data/text/forLanguageModel.js';
import { everyOtherLayer, studentFromTeacherLayers, transformerLayerCount } from '../../models/layerSubset.js';
import { buildArchitecture, parseArchitecture } from '../../models/spec.js';
import { loadModel } from '../../onnx/model.js';
import type { ModelProto } from '../../onnx/proto.js';
import { sha256, type ModelSource } from '../../train/modelSource.js';
import { RetortError } from '../../util/errors.js';

export type LanguageStudentSource =
  | { kind: 'model'; model: ModelProto }
  | { kind: 'arch'; arch: string }
  /** The teacher's blocks `layers` (ascending), or every other one (0, 2, 4, ...). */
  | { kind: 'teacher-layers'; layers: readonly number[] | 'every-other' };

export interface LanguageStudentOptions {
  /** Seeds a built architecture's initialization. */
  seed: number;
  /** The tokenizer's vocabulary, for an architecture string without vocab=. */
  vocabSize: number;
  /** The training window, stated in the student's metadata when its sequence axis is dynamic. */
  context: number;
}

/** The student model; `teacher` is read (never modified) for a teacher-layers student. */
export function languageStudent(source: LanguageStudentSource, teacher: ModelProto, options: LanguageStudentOptions): ModelProto {
  switch (source.kind) {
    case 'model':
      return source.model;
    case 'arch':
      return withContextMetadata(buildArchitecture(source.arch, { seed: options.seed, vocabSize: options.vocabSize }), options.context);
    case 'teacher-layers': {
      const layers = source.layers === 'every-other' ? everyOtherLayer(transformerLayerCount(teacher)) : source.layers;
      return withContextMetadata(studentFromTeacherLayers(teacher, layers), options.context);
    }
  }
}

/** Where a run's student comes from: an ONNX file, an architecture to build, or the teacher's layers. */
export type LanguageStudentOrigin =
  | { kind: 'file'; path: string; model?: ModelProto }
  | { kind: 'arch'; arch: string }
  | { kind: 'teacher-layers'; layers: readonly number[] | 'every-other' };

/** How a run records its student, so a resumed run can check it continues the same one. */
export type LanguageStudentRecord = ModelSource | { source: 'teacher-layers'; layers: number[] };

/**
 * The student of `origin` and its record. A built architecture must reach the window: its
 * `context=` at least `options.context` (its position table has that many rows).
 */
export function languageStudentFrom(origin: LanguageStudentOrigin, teacher: ModelProto, options: LanguageStudentOptions): { model: ModelProto; record: LanguageStudentRecord } {
  switch (origin.kind) {
    case 'file': {
      const path = resolve(origin.path);
      return { model: languageStudent({ kind: 'model', model: origin.model ?? loadModel(path) }, teacher, options), record: { source: 'file', path, sha256: sha256(path) } };
    }
    case 'arch': {
      const arch = parseArchitecture(origin.arch);
      if (arch.arch !== 'gpt') throw new RetortError('BAD_ARGUMENT', `Student architecture "${origin.arch}": a language-model student is a gpt:... architecture`);
      if (arch.context < options.context) throw new RetortError('BAD_ARGUMENT', `Student architecture "${origin.arch}": context=${arch.context} is shorter than the training window of ${options.context} tokens`);
      return { model: languageStudent({ kind: 'arch', arch: origin.arch }, teacher, options), record: { source: 'arch', arch: origin.arch } };
    }
    case 'teacher-layers': {
      const layers = origin.layers === 'every-other' ? everyOtherLayer(transformerLayerCount(teacher)) : [...origin.layers];
      return { model: languageStudent({ kind: 'teacher-layers', layers }, teacher, options), record: { source: 'teacher-layers', layers } };
    }
  }
}
