/**
 * What a language-model distillation run starts from: the text tokenized with the teacher's own
 * tokenizer (its metadata or the vocabulary file beside it — the student predicts the teacher's
 * tokens), the window length (the teacher's context unless a shorter one is asked for), and the
 * student, checked to read that window and to predict over the teacher's vocabulary, since the
 * token-level terms compare the two distributions position by position.
 */
import type { TextCorpus } from '../../data/text/corpus.js';
import { checkVocabulary, languageModelIo, windowLength } from '../../data/text/forLanguageModel.js';
import { tokenizerFromSpec, type Tokenizer } from '../../data/text/tokenizer.js';
import { findTokenizer } from '../../data/text/vocab.js';
import type { ModelProto } from '../../onnx/proto.js';
import { RetortError } from '../../util/errors.js';
import { languageStudentFrom, type LanguageStudentOrigin, type LanguageStudentRecord } from './student.js';

export interface LanguageDistillSetup {
  teacher: ModelProto;
  /** The teacher's file: where a vocabulary beside it is looked for, and how messages name it. */
  teacherPath: string;
  /** A vocabulary file (retort-vocab JSON) for a teacher that carries none. */
  vocabFile?: string;
  /** The text tokenized by the teacher's tokenizer, split (and cut) as the caller's data says. */
  loadCorpus: (tokenizer: Tokenizer) => TextCorpus;
  student: LanguageStudentOrigin;
  /** Window length; default the teacher's context. */
  context: number | null;
  /** Seeds a built student's initialization. */
  seed: number;
}

export interface PreparedLanguageDistillation {
  corpus: TextCorpus;
  /** Where the teacher's tokenizer was found. */
  tokenizerSource: string;
  context: number;
  student: ModelProto;
  studentRecord: LanguageStudentRecord;
}

export function prepareLanguageDistillation(setup: LanguageDistillSetup): PreparedLanguageDistillation {
  const { teacher, teacherPath } = setup;
  const teacherIo = languageModelIo(teacher, `the teacher ${teacherPath}`);
  const { spec, source } = findTokenizer(teacher, teacherPath, setup.vocabFile);
  const corpus = setup.loadCorpus(tokenizerFromSpec(spec));
  checkVocabulary(teacherIo, corpus.tokenizer.vocabSize, `the teacher ${teacherPath}`);
  const context = windowLength(teacherIo, setup.context, `the teacher ${teacherPath}`);
  // A built student predicts over the teacher's logits' vocabulary (which may exceed the tokenizer's).
  const vocabSize = teacherIo.vocabSize ?? corpus.tokenizer.vocabSize;
  const { model: student, record } = languageStudentFrom(setup.student, teacher, { seed: setup.seed, vocabSize, context });
  const studentIo = languageModelIo(student, 'the student');
  windowLength(studentIo, context, 'the student');
  if (teacherIo.vocabSize !== null && studentIo.vocabSize !== null && studentIo.vocabSize !== teacherIo.vocabSize) {
    throw new RetortError('DATA_INVALID', `The student predicts ${studentIo.vocabSize} tokens ("${studentIo.output}") but the teacher ${teacherIo.vocabSize}; token-level distillation compares them position by position`);
  }
  return { corpus, tokenizerSource: source, context, student, studentRecord: record };
}
