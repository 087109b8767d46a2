/**
 * Sequence-level knowledge distillation (Kim & Rush 2016, "Sequence-Level Knowledge Distillation"):
 * the student is trained with plain cross-entropy on text the teacher generated, instead of matching
 * the teacher's distribution at every position. It needs only the teacher's samples — the black-box
 * case, where the teacher's logits are not available.
 *
 * Kim & Rush decode the teacher with beam search given each source sentence; a language model has no
 * source, so here each sequence continues a short prompt of real text (drawn at seeded places of the
 * training split) by sampling at a temperature (top-k optional; temperature 0 is greedy decoding,
 * beam size 1). Every sequence is one training window long by default (context + 1 tokens), so the
 * student trains on whole teacher sequences, each window starting at a prompt.
 */
import type { TokenSequence } from '../../data/text/corpus.js';
import { languageModelIo, windowLength } from '../../data/text/forLanguageModel.js';
import { sampleContinuations, type SamplingOptions } from '../../models/sampling.js';
import type { ModelProto } from '../../onnx/proto.js';
import { deriveSeed } from '../../train/seeds.js';
import type { LanguageModelData } from '../../train/trainer.js';
import { RetortError } from '../../util/errors.js';
import { Rng } from '../../util/random.js';
import { poolAsTokens, poolWindowSource, sequencePool, type SequencePool } from './sequencePool.js';

export interface TeacherCorpusOptions extends SamplingOptions {
  /** Sampled tokens to generate at least (prompts not counted); rounded up to whole sequences. */
  tokens: number;
  /** Real text the prompts are drawn from (the training split). */
  prompts: TokenSequence;
  /** Tokens of real text each sequence starts from; default 1. */
  promptLength?: number;
  /** Tokens per sequence, prompt included; default the teacher's context + 1 (one training window). */
  sequenceLength?: number;
  /** Window the teacher reads; default its context. */
  context?: number;
  seed: number;
  /** Sequences per ORT call; default 32. */
  batchSize?: number;
  threads?: number;
}

export interface TeacherCorpus extends SequencePool {
  promptLength: number;
  /** Tokens the teacher sampled (count * (length - promptLength)). */
  sampledTokens: number;
  seconds: number;
}

/** Seed streams of prompt places and of the samples, apart from each other. */
const PROMPTS = 0x5eed1;
const SAMPLES = 0x5eed2;

/** `count` prompts of `length` tokens from seeded random places of `text`, row-major. */
export function drawPrompts(text: TokenSequence, count: number, length: number, rng: Rng): Int32Array {
  if (!(Number.isInteger(length) && length > 0)) throw new RetortError('BAD_ARGUMENT', `Prompt length ${length} must be a positive integer`);
  if (text.length < length) throw new RetortError('DATA_INVALID', `"${text.name}" holds ${text.length} tokens, fewer than one prompt of ${length}`);
  const prompts = new Int32Array(count * length);
  for (let r = 0; r < count; r++) {
    const start = rng.int(text.length - length + 1);
    prompts.set(text.tokens.subarray(start, start + length), r * length);
  }
  return prompts;
}

/** The teacher's text: seeded, so the same options give the same corpus on the same machine. */
export async function generateTeacherCorpus(teacher: ModelProto, options: TeacherCorpusOptions): Promise<TeacherCorpus> {
  const io = languageModelIo(teacher, 'the teacher');
  const context = windowLength(io, options.context ?? null, 'the teacher');
  const promptLength = options.promptLength ?? 1;
  const length = options.sequenceLength ?? context + 1;
  if (!(Number.isInteger(length) && length > promptLength)) throw new RetortError('BAD_ARGUMENT', `Sequence length ${length} must be an integer above the prompt length ${promptLength}`);
  if (!(Number.isInteger(options.tokens) && options.tokens > 0)) throw new RetortError('BAD_ARGUMENT', `Corpus size ${options.tokens} tokens must be a positive integer`);
  const count = Math.ceil(options.tokens / (length - promptLength));
  const started = performance.now();
  const prompts = drawPrompts(options.prompts, count, promptLength, new Rng(deriveSeed(options.seed, PROMPTS)));
  const sequences = await sampleContinuations(teacher, prompts, promptLength, {
    temperature: options.temperature,
    ...(options.topK !== undefined ? { topK: options.topK } : {}),
    newTokens: length - promptLength,
    seed: deriveSeed(options.seed, SAMPLES),
    context,
    vocabSize: options.prompts.vocabSize,
    batchSize: options.batchSize ?? 32,
    threads: options.threads ?? 0,
  });
  const pool = sequencePool(sequences, length, options.prompts.vocabSize);
  return { ...pool, promptLength, sampledTokens: count * (length - promptLength), seconds: (performance.now() - started) / 1000 };
}

/**
 * The student's training data for sequence-level KD: windows of the teacher's sequences (seeded by
 * `seed` and the step) in place of the real text, evaluated on the real validation text. Train it
 * with the default loss (cross-entropy) or a `ce` term.
 */
export function sequenceKdData(data: LanguageModelData, corpus: SequencePool, seed: number): LanguageModelData {
  const train = poolAsTokens(corpus, `${data.train.name}-teacher-text`);
  return { ...data, train, windows: poolWindowSource(corpus, seed, 'teacher-text') };
}
