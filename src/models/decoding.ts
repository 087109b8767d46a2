/**
 * Where the sampling loop (models/sampling.ts) gets its next-token logits from. A decoder serves a
 * batch of rows of equal length, step by step: after the caller has written the first n tokens of
 * every row, `step(n)` gives each row's logits for token n, with n = prompt length, +1, +2, … in
 * order. Two decoders give the same logits (to float rounding): the cache-free window decoder here,
 * which works on any language model, and the KV-cached one for retort's GPT (models/kvCacheDecoder.ts).
 */
import type { LanguageModelIo } from '../data/text/forLanguageModel.js';
import { encodeModel } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { Session } from '../runtime/session.js';
import { int64Tensor } from '../runtime/tensors.js';
import { KvCache } from './kvCacheDecoder.js';

/** Row r's scores over the vocabulary (a view, valid until the next step). */
export type RowLogits = (row: number) => Float32Array;

/** Logits after the first n tokens of every row. */
export type DecodeSteps = (n: number) => Promise<RowLogits>;

export interface NextTokenDecoder {
  /** Whether it keeps a KV cache (for reports). */
  readonly cached: boolean;
  /** Start on `batch` rows of `length` tokens, row-major in `tokens`, which the caller fills as it samples. */
  begin(tokens: Int32Array, batch: number, length: number): DecodeSteps;
}

/**
 * KV-cache-free: every step runs the window of the most recent `context` tokens of all rows in one
 * ORT call [batch, window]. A model exported at one fixed sequence length gets the window padded on
 * the right; in a causal decoder position p attends only to positions <= p, so the padding does not
 * change the logits read at the window's last token.
 */
export function windowDecoder(session: Session, io: LanguageModelIo, context: number): NextTokenDecoder {
  return {
    cached: false,
    begin: (tokens, batch, length) => async (n) => {
      const start = Math.max(0, n - context);
      const window = n - start;
      const width = io.fixedLength ?? window;
      const ids = new BigInt64Array(batch * width); // right padding with id 0 for fixed-length models
      for (let r = 0; r < batch; r++) {
        for (let t = 0; t < window; t++) ids[r * width + t] = BigInt(tokens[r * length + start + t]!);
      }
      const logits = (await session.run({ [io.input]: int64Tensor(ids, [batch, width]) }, [io.output]))[io.output]!.data as Float32Array;
      const vocab = logits.length / (batch * width);
      return (r) => logits.subarray((r * width + window - 1) * vocab, (r * width + window) * vocab);
    },
  };
}

export interface DecoderChoice {
  /** false: the window decoder even where a KV cache is possible. Default true. */
  cache?: boolean;
  /** ORT intra-op threads; 0 lets ORT choose. */
  threads?: number;
}

/**
 * Runs `use` with `model`'s decoder for windows of `context` tokens: KV-cached when the model allows
 * it and `choice.cache` is not false (then only the decode step is loaded), else the window decoder
 * on a session of the model; `kvCacheUnavailable` says why a wanted cache was not possible. The
 * session is closed afterwards.
 */
export async function withDecoder<T>(model: ModelProto, io: LanguageModelIo, context: number, choice: DecoderChoice, use: (decoder: NextTokenDecoder, kvCacheUnavailable?: string) => Promise<T>): Promise<T> {
  const threads = choice.threads ?? 0;
  const kvCache = choice.cache === false ? null : await KvCache.open(model, { threads });
  if (kvCache instanceof KvCache) {
    try {
      return await use(kvCache.decoder(context));
    } finally {
      await kvCache.dispose();
    }
  }
  const session = await Session.create(encodeModel(model), { name: 'language model', threads });
  try {
    return await use(windowDecoder(session, io, context), kvCache?.reason);
  } finally {
    await session.dispose();
  }
}
