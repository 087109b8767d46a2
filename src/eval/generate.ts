/**
 * Autoregressive generation from any model that follows the language-model I/O convention (token
 * ids int64 [batch, seq] in, logits [batch, seq, vocab] out): each new token is sampled from the
 * logits at the last position of the window of the most recent `context` tokens.
 *
 * KV-cache-free: the whole window is run again for every token, so it works on any graph (a PyTorch
 * export included) at O(context) times the cost of a cached decoder. A model exported at one fixed
 * sequence length gets the window padded on the right; in a causal decoder position p attends only
 * to positions <= p, so the padding does not change the logits read at the window's last token.
 *
 * Sampling (temperature, top-k, greedy at temperature 0) is models/sampling.ts's; many prompts at
 * once: `sampleContinuations` there.
 */
import { languageModelIo, windowLength } from '../data/text/forLanguageModel.js';
import { encodeModel } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { Session } from '../runtime/session.js';
import { int64Tensor } from '../runtime/tensors.js';
import { RetortError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { checkSampling, sampleNextToken, type SamplingOptions } from '../models/sampling.js';

// The sampling primitives live in models/sampling.ts so that distillation (a lower layer) can sample too.
export { argmax, checkSampling, sampleNextToken, type SamplingOptions } from '../models/sampling.js';

export interface GenerationOptions extends SamplingOptions {
  maxNewTokens: number;
  seed: number;
  /** Window length; default the model's context (its fixed sequence length or metadata `retort.context`). */
  context?: number;
  /** Sample only ids below this (a tokenizer smaller than the model's vocabulary); default all. */
  vocabSize?: number;
  threads?: number;
  /** Called with each new token as it is chosen (streaming output). */
  onToken?: (id: number) => void;
}

export interface Generation {
  /** The prompt followed by the new tokens. */
  tokens: Int32Array;
  newTokens: Int32Array;
  context: number;
  seconds: number;
}

/** `prompt` (token ids, at least one) continued by `maxNewTokens` sampled tokens. */
export async function generateTokens(model: ModelProto, prompt: ArrayLike<number>, options: GenerationOptions): Promise<Generation> {
  checkSampling(options);
  const { maxNewTokens } = options;
  if (!(Number.isInteger(maxNewTokens) && maxNewTokens >= 0)) throw new RetortError('BAD_ARGUMENT', `Number of new tokens ${maxNewTokens} must be a whole number >= 0`);
  if (prompt.length === 0) throw new RetortError('BAD_ARGUMENT', 'Generation needs a prompt of at least one token');
  const io = languageModelIo(model);
  const context = windowLength(io, options.context ?? null);
  const limit = options.vocabSize ?? io.vocabSize ?? Infinity;
  for (let i = 0; i < prompt.length; i++) {
    if (!(Number.isInteger(prompt[i]) && prompt[i]! >= 0 && prompt[i]! < limit)) throw new RetortError('BAD_ARGUMENT', `Prompt token ${i} is ${prompt[i]}, outside the vocabulary 0..${limit - 1}`);
  }
  const tokens = new Int32Array(prompt.length + maxNewTokens);
  tokens.set(Array.from(prompt));
  const rng = new Rng(options.seed);
  const started = performance.now();
  const session = await Session.create(encodeModel(model), { name: 'language model', threads: options.threads ?? 0 });
  try {
    for (let n = prompt.length; n < tokens.length; n++) {
      const window = tokens.subarray(Math.max(0, n - context), n);
      const length = io.fixedLength ?? window.length;
      const ids = new BigInt64Array(length); // right padding with id 0 for fixed-length models
      for (let t = 0; t < window.length; t++) ids[t] = BigInt(window[t]!);
      const logits = (await session.run({ [io.input]: int64Tensor(ids, [1, length]) }, [io.output]))[io.output]!.data as Float32Array;
      const vocab = logits.length / length;
      const row = logits.subarray((window.length - 1) * vocab, (window.length - 1) * vocab + Math.min(vocab, limit));
      tokens[n] = sampleNextToken(row, options, rng);
      options.onToken?.(tokens[n]!);
    }
  } finally {
    await session.dispose();
  }
  return { tokens, newTokens: tokens.subarray(prompt.length), context, seconds: (performance.now() - started) / 1000 };
}
