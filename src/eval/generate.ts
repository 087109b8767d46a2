/**
 * Autoregressive generation from any model that follows the language-model I/O convention (token
 * ids int64 [batch, seq] in, logits [batch, seq, vocab] out): each new token is sampled from the
 * logits at the last position of the window of the most recent `context` tokens.
 *
 * A retort-built GPT decodes with a KV cache (models/kvCacheDecoder.ts: the prompt once, then one
 * token per step); any other graph (a PyTorch export, a quantized model) — or any model with
 * `cache: false` — runs the whole window again for every token (models/decoding.ts), at O(context)
 * times the cost. Both give the same tokens for the same seed.
 *
 * Sampling (temperature, top-k, greedy at temperature 0) is models/sampling.ts's; many prompts at
 * once: `sampleContinuations` there.
 */
import { languageModelIo, windowLength } from '../data/text/forLanguageModel.js';
import type { ModelProto } from '../onnx/proto.js';
import { RetortError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { withDecoder } from '../models/decoding.js';
import { checkSampling, sampleRows, type SamplingOptions } from '../models/sampling.js';

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
  /** Use the KV-cached decode step when the model allows it (default); false re-runs the window for every token. */
  cache?: boolean;
  /** Called with each new token as it is chosen (streaming output). */
  onToken?: (id: number) => void;
}

export interface Generation {
  /** The prompt followed by the new tokens. */
  tokens: Int32Array;
  newTokens: Int32Array;
  context: number;
  /** Whether the KV-cached decode step ran. */
  kvCache: boolean;
  /** Why not, when the cache was wanted but the model does not allow it. */
  kvCacheUnavailable?: string;
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
  const loop = { ...options, limit, batchSize: 1, rngs: [new Rng(options.seed)], onToken: (_row: number, id: number) => options.onToken?.(id) };
  const started = performance.now();
  const kv = await withDecoder(model, io, context, options, async (decoder, kvCacheUnavailable) => {
    await sampleRows(decoder, tokens, prompt.length, tokens.length, loop);
    return { kvCache: decoder.cached, ...(kvCacheUnavailable !== undefined ? { kvCacheUnavailable } : {}) };
  });
  return { tokens, newTokens: tokens.subarray(prompt.length), context, ...kv, seconds: (performance.now() - started) / 1000 };
}
