/**
 * KV-cached next-token logits for retort's GPT (models/gpt.ts), through its decode-step graph
 * (transformer/decodeStep.ts): the prompt is run once (the prefill), then each step runs only the
 * newest token against the keys and values cached from the steps before — O(1) tokens per step
 * instead of the window decoder's O(context).
 *
 * It gives what the cache-free window decoder (models/decoding.ts) gives, to float rounding: while a
 * row fits the context (n <= context) the window starts at token 0, so every token keeps its
 * position and its cached keys and values stay valid. Once the rows outgrow the context the window
 * slides by one token per step, every token's position (and with it its keys and values, which are
 * computed after the position embedding is added) changes, and the cache cannot be reused: each such
 * step re-runs the whole window through the decode step with an empty past (a re-prefill), as the
 * cache-free path runs it.
 *
 * A GPT quantized weight-only to MatMulNBits (4 or 8 bits) gets a decode step with the same
 * MatMulNBits nodes (transformer/packedWeights.ts). Models the decode step cannot be built for (not
 * a retort GPT: PyTorch exports, QDQ-quantized, fp16 or factorized models) get a reason instead, and
 * callers use the window decoder.
 */
import { encodeModel } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { Session, type Feeds } from '../runtime/session.js';
import { floatTensor, int64Tensor } from '../runtime/tensors.js';
import { RetortError } from '../util/errors.js';
import type { NextTokenDecoder } from './decoding.js';
import type { GptShape } from './gpt.js';
import { buildDecodeStep, pastKeyName, pastValueName, presentKeyName, presentValueName } from './transformer/decodeStep.js';
import { recogniseGpt } from './transformer/gptShape.js';
import { restorePacked, withFloatStandIns } from './transformer/packedWeights.js';
import { INPUT_IDS, LOGITS } from './transformer/names.js';

export interface KvCacheOptions {
  /** ORT intra-op threads; 0 lets ORT choose. */
  threads?: number;
}

/** An open decode-step session of one model. */
export class KvCache {
  private constructor(
    private readonly session: Session,
    readonly shape: GptShape,
  ) {}

  /** The decode step of `model`, or why the model does not allow one. */
  static async open(model: ModelProto, options: KvCacheOptions = {}): Promise<KvCache | { reason: string }> {
    // A 4/8-bit weight-only GPT is recognised through float stand-ins and keeps its MatMulNBits in the step.
    const { model: view, packed } = withFloatStandIns(model);
    const recognised = recogniseGpt(view);
    if ('reason' in recognised) return { reason: `not a retort GPT: ${recognised.reason}` };
    const step = restorePacked(buildDecodeStep(view, recognised.shape), packed);
    const session = await Session.create(encodeModel(step), { name: 'the KV-cached decode step', threads: options.threads ?? 0 });
    return new KvCache(session, recognised.shape);
  }

  /** Zero-length past keys and values for `batch` rows: the step is then a plain forward pass. */
  private emptyPast(batch: number): Feeds {
    const feeds: Feeds = {};
    this.shape.blocks.forEach(({ heads, headDim }, l) => {
      feeds[pastKeyName(l)] = floatTensor(new Float32Array(0), [batch, heads, 0, headDim]);
      feeds[pastValueName(l)] = floatTensor(new Float32Array(0), [batch, heads, 0, headDim]);
    });
    return feeds;
  }

  /** Next-token logits with a window of `context` tokens, as windowDecoder(…, context) gives them. */
  decoder(context: number): NextTokenDecoder {
    const presents = this.shape.blocks.flatMap((_, l) => [presentKeyName(l), presentValueName(l)]);
    return {
      cached: true,
      begin: (tokens, batch, length) => {
        let cached = 0; // leading tokens of every row whose keys and values `past` holds
        let past = this.emptyPast(batch);
        return async (n) => {
          const slides = n > context;
          if (slides) past = this.emptyPast(batch);
          const start = slides ? n - context : cached;
          const width = n - start;
          if (width <= 0) throw new RetortError('BAD_ARGUMENT', `Decode step ${n}: the cache already holds ${cached} tokens; steps must move forward`);
          const ids = new BigInt64Array(batch * width);
          for (let r = 0; r < batch; r++) {
            for (let t = 0; t < width; t++) ids[r * width + t] = BigInt(tokens[r * length + start + t]!);
          }
          const results = await this.session.run({ [INPUT_IDS]: int64Tensor(ids, [batch, width]), ...past }, slides ? [LOGITS] : [LOGITS, ...presents]);
          if (!slides) {
            past = {};
            this.shape.blocks.forEach((_, l) => {
              past[pastKeyName(l)] = results[presentKeyName(l)]!;
              past[pastValueName(l)] = results[presentValueName(l)]!;
            });
            cached = n;
          }
          const logits = results[LOGITS]!.data as Float32Array;
          const vocab = logits.length / (batch * width);
          return (r) => logits.subarray((r * width + width - 1) * vocab, (r * width + width) * vocab);
        };
      },
    };
  }

  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}
