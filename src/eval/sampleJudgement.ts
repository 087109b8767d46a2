/**
 * What a language model writes, judged by another (its teacher). Validation perplexity measures how
 * well a student covers real text, the forward-KL view; reverse-KL and on-policy students (MiniLLM,
 * Gu et al. 2024; GKD, Agarwal et al. 2024) trade coverage for samples the teacher finds likely, which
 * perplexity does not show. So: the model continues real-text prompts by sampling, and each sampled
 * token is scored by
 *
 * - the judge: mean -log p_judge(token | the sample so far), nats per token — lower is text the judge
 *   would have written (the cross-entropy of the model's samples under the judge);
 * - the model itself: its own mean -log p — an estimate of its entropy rate at that temperature;
 * - distinct 4-grams over all 4-grams of the samples: degenerate, repetitive text can please a judge,
 *   and shows here as a low fraction.
 *
 * Each sample is one window long (the prompt and `context + 1 - promptLength` sampled tokens), so a
 * single forward pass scores it. The same options and seed give the same prompts to every model, so
 * their rows compare.
 */
import { tokenSequence, type TokenSequence } from '../data/text/corpus.js';
import { languageModelIo, windowLength } from '../data/text/forLanguageModel.js';
import { windowBatches } from '../data/text/windows.js';
import { generateTeacherCorpus } from '../distill/language/sequenceKd.js';
import { encodeModel } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { Session } from '../runtime/session.js';
import { int64Tensor, readFloats } from '../runtime/tensors.js';
import { nextTokenLoss } from '../train/evaluateLanguageModel.js';
import { RetortError } from '../util/errors.js';

export interface SampleJudgementOptions {
  /** Real text the prompts are drawn from, at seeded places. */
  prompts: TokenSequence;
  /** Sampled tokens to score, at least (rounded up to whole samples). */
  tokens: number;
  /** Tokens of real text each sample starts from; default 1. */
  promptLength?: number;
  temperature: number;
  topK?: number;
  seed: number;
  /** Window length (a sample is context + 1 tokens); default the model's context. */
  context?: number;
  /** Samples per ORT call; default 32. */
  batchSize?: number;
  threads?: number;
}

export interface SampleJudgement {
  samples: number;
  sampledTokens: number;
  /** Mean negative log-likelihood of the sampled tokens under the judge, nats per token. */
  judgeLoss: number;
  /** Its standard error: the standard deviation of the samples' own means over √samples (tokens of one sample are not independent). */
  judgeLossStdError: number;
  /** The same under the model that sampled them. */
  selfLoss: number;
  /** Distinct 4-grams / all 4-grams of the sampled tokens (4-grams within one sample). */
  distinct4: number;
  /** Sampling time, seconds. */
  seconds: number;
}

/** Distinct n-grams over all n-grams of the rows' tokens from `from` on (n-grams do not cross rows). */
export function distinctNgrams(rows: Int32Array, length: number, from: number, n: number): number {
  const seen = new Set<string>();
  let total = 0;
  for (let start = 0; start + length <= rows.length; start += length) {
    for (let i = start + from; i + n <= start + length; i++) {
      seen.add(rows.subarray(i, i + n).join(','));
      total++;
    }
  }
  return total === 0 ? NaN : seen.size / total;
}

export interface ContinuationScores {
  /** Mean -log p over all scored tokens, nats per token. */
  loss: number;
  /** The mean of each row's scored tokens. */
  rowLosses: Float64Array;
}

/**
 * -log p(token) under `model` of every token of each row from `from` on, the row read as one window
 * (its first `length - 1` tokens in, the next token of each position as the label).
 */
export async function scoreContinuations(model: ModelProto, rows: Int32Array, length: number, from: number, options: { batchSize?: number; threads?: number; name?: string } = {}): Promise<ContinuationScores> {
  const io = languageModelIo(model, options.name);
  const window = length - 1;
  windowLength(io, window, options.name);
  if (!(from >= 1 && from < length)) throw new RetortError('BAD_ARGUMENT', `Scoring from token ${from} of rows of ${length}: expected 1 <= from < ${length}`);
  const count = rows.length / length;
  // Each row is one window of the rows laid end to end: inputs its first length - 1 tokens, labels the rest.
  const starts = Uint32Array.from({ length: count }, (_, r) => r * length);
  const session = await Session.create(encodeModel(model), { name: options.name ?? 'scored language model', threads: options.threads ?? 0 });
  const rowLosses = new Float64Array(count);
  let row = 0;
  try {
    for (const windows of windowBatches(tokenSequence('samples', rows, 0), starts, window, options.batchSize ?? 32)) {
      const results = await session.run({ [io.input]: int64Tensor(windows.inputs, [windows.count, window]) }, [io.output]);
      const logits = readFloats(results[io.output]!, io.output);
      const vocab = logits.length / (windows.count * window);
      for (let r = 0; r < windows.count; r++, row++) {
        let sum = 0;
        // Position p predicts token p + 1: the scored tokens from..length-1 come from positions from-1..window-1.
        for (let p = r * window + from - 1; p < (r + 1) * window; p++) sum += nextTokenLoss(logits.subarray(p * vocab, (p + 1) * vocab), Number(windows.labels[p])).loss;
        rowLosses[row] = sum / (length - from);
      }
    }
  } finally {
    await session.dispose();
  }
  // Every row scores the same number of tokens, so the mean of the rows' means is the mean of all.
  return { loss: mean(rowLosses), rowLosses };
}

const mean = (xs: Float64Array): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Standard deviation of `xs` (n - 1) over √n. */
function standardError(xs: Float64Array): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1) / xs.length);
}

/** `model` samples continuations of real-text prompts; `judge` and `model` score them (see the file's comment). */
export async function judgeSamples(model: ModelProto, judge: ModelProto, options: SampleJudgementOptions): Promise<SampleJudgement> {
  const context = windowLength(languageModelIo(model, 'the sampled model'), options.context ?? null, 'the sampled model');
  windowLength(languageModelIo(judge, 'the judge'), context, 'the judge');
  const promptLength = options.promptLength ?? 1;
  const samples = await generateTeacherCorpus(model, {
    tokens: options.tokens,
    prompts: options.prompts,
    promptLength,
    temperature: options.temperature,
    ...(options.topK !== undefined ? { topK: options.topK } : {}),
    seed: options.seed,
    context,
    batchSize: options.batchSize,
    threads: options.threads,
  });
  const score = (m: ModelProto, name: string) => scoreContinuations(m, samples.sequences, samples.length, promptLength, { batchSize: options.batchSize, threads: options.threads, name });
  const judged = await score(judge, 'the judge');
  return {
    samples: samples.count,
    sampledTokens: samples.sampledTokens,
    judgeLoss: judged.loss,
    judgeLossStdError: standardError(judged.rowLosses),
    selfLoss: (await score(model, 'the sampled model')).loss,
    distinct4: distinctNgrams(samples.sequences, samples.length, promptLength, 4),
    seconds: samples.seconds,
  };
}
