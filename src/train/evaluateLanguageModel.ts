/**
 * Language-model quality of an inference session over a token sequence: mean next-token
 * cross-entropy in nats per token, perplexity exp(loss), bits per token loss / ln 2 (bits per
 * character for a character tokenizer) and next-token accuracy. The sequence is read in
 * non-overlapping windows of `context` tokens, so each token but the first is scored once, with
 * between 0 and context - 1 tokens before it in its window. Runs between epochs, off the hot path.
 */
import type { TokenSequence } from '../data/text/corpus.js';
import { sequentialWindowStarts, windowBatches } from '../data/text/windows.js';
import { Session } from '../runtime/session.js';
import { int64Tensor } from '../runtime/tensors.js';
import { RetortError } from '../util/errors.js';
import type { Evaluation } from './evaluate.js';

/** `samples` counts scored tokens; `accuracy` is next-token top-1 accuracy. */
export interface LanguageModelEvaluation extends Evaluation {
  perplexity: number;
  bitsPerToken: number;
  windows: number;
}

export interface LanguageModelEvaluationOptions {
  context: number;
  /** Windows per ORT call. */
  batchSize: number;
  /** Score only the first this many windows (quick checks); default all. */
  maxWindows?: number;
}

/** -log softmax(row)[label] (stable: shifted by the row's maximum) and the row's argmax, the lowest id among ties. */
export function nextTokenLoss(row: Float32Array, label: number): { loss: number; best: number } {
  let best = 0;
  for (let c = 1; c < row.length; c++) if (row[c]! > row[best]!) best = c;
  let sum = 0;
  for (let c = 0; c < row.length; c++) sum += Math.exp(row[c]! - row[best]!);
  return { loss: Math.log(sum) - (row[label]! - row[best]!), best };
}

export async function evaluateLanguageModel(session: Session, sequence: TokenSequence, options: LanguageModelEvaluationOptions): Promise<LanguageModelEvaluation> {
  const { context, batchSize } = options;
  const input = session.inputNames[0]!;
  const output = session.outputNames[0]!;
  const all = sequentialWindowStarts(sequence, context);
  const starts = options.maxWindows === undefined ? all : all.subarray(0, options.maxWindows);
  let lossSum = 0;
  let correct = 0;
  for (const windows of windowBatches(sequence, starts, context, batchSize)) {
    const results = await session.run({ [input]: int64Tensor(windows.inputs, [windows.count, context]) }, [output]);
    const logits = results[output]!.data as Float32Array;
    const positions = windows.count * context;
    const vocab = logits.length / positions;
    if (!Number.isInteger(vocab) || vocab < sequence.vocabSize) {
      throw new RetortError('DATA_INVALID', `${session.name} gives ${logits.length} logits for ${positions} positions; expected [${windows.count}, ${context}, >= ${sequence.vocabSize}]`);
    }
    for (let p = 0; p < positions; p++) {
      const label = Number(windows.labels[p]);
      const { loss, best } = nextTokenLoss(logits.subarray(p * vocab, (p + 1) * vocab), label);
      lossSum += loss;
      if (best === label) correct++;
    }
  }
  const samples = starts.length * context;
  const loss = lossSum / samples;
  return { loss, accuracy: correct / samples, samples, perplexity: Math.exp(loss), bitsPerToken: loss / Math.LN2, windows: starts.length };
}

/** A model's ONNX bytes scored on `sequence` in an ORT session of its own. */
export async function evaluateLanguageModelBytes(bytes: Uint8Array, sequence: TokenSequence, options: LanguageModelEvaluationOptions & { threads?: number; name?: string }): Promise<LanguageModelEvaluation> {
  const session = await Session.create(bytes, { name: options.name ?? 'evaluated language model', threads: options.threads ?? 0 });
  try {
    return await evaluateLanguageModel(session, sequence, options);
  } finally {
    await session.dispose();
  }
}
