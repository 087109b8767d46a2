/**
 * Where a language-model student comes from: a model as given, a fresh architecture (e.g.
 * `gpt:layers=2,dim=64,heads=4,context=128`) built for the data's vocabulary, or a subset of the
 * teacher's own layers with its embeddings, final norm and head (DistilBERT, Sanh et al. 2019, §3:
 * "taking one layer out of two"; models/layerSubset.ts).
 */
import { withContextMetadata } from '../../data/text/forLanguageModel.js';
import { everyOtherLayer, studentFromTeacherLayers, transformerLayerCount } from '../../models/layerSubset.js';
import { buildArchitecture } from '../../models/spec.js';
import type { ModelProto } from '../../onnx/proto.js';

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
