/**
 * Language-model batches: each step `batchSize` windows of `context + 1` tokens at random starts
 * drawn from (seed, step) — so a resumed run draws the same windows without carrying generator
 * state — as int64 inputs [batch, context] and next-token labels [batch, context], or the windows
 * a WindowSource gives for the step (sequences a model sampled, for distillation). Evaluation is
 * next-token cross-entropy (nats/token), perplexity and bits/token over non-overlapping windows.
 */
import { allocateWindows, gatherWindows, languageModelStepsPerEpoch, randomWindowStarts, windowSpan } from '../../data/text/windows.js';
import { int64Tensor } from '../../runtime/tensors.js';
import { RetortError } from '../../util/errors.js';
import { evaluateLanguageModel, type LanguageModelEvaluation } from '../evaluateLanguageModel.js';
import { windowRng } from '../seeds.js';
import { isTokenSequence, type LanguageModelData, type TrainingTask } from './task.js';

const NO_STARTS = new Uint32Array(0);
const NO_FLOATS = new Float32Array(0);

export interface LanguageModelTaskOptions {
  batchSize: number;
  seed: number;
  /** Windows per evaluation call; default 32. */
  evalBatchSize?: number;
  /** Image augmentation does not apply to tokens; refused when given. */
  augmentation?: unknown;
}

export function languageModelTask(data: LanguageModelData, options: LanguageModelTaskOptions): TrainingTask {
  const { batchSize, seed } = options;
  const { train, context } = data;
  if (options.augmentation !== undefined) throw new RetortError('BAD_ARGUMENT', 'Trainer: augmentation applies to image samples, not to token sequences');
  // Fails early, naming the split, when a split is shorter than one window.
  windowSpan(train, context);
  if (data.validation) windowSpan(data.validation, context);
  const stepsPerEpoch = data.stepsPerEpoch ?? languageModelStepsPerEpoch(train.length, batchSize, context);
  if (!(Number.isInteger(stepsPerEpoch) && stepsPerEpoch > 0)) throw new RetortError('BAD_ARGUMENT', `Trainer: stepsPerEpoch must be a positive integer, got ${stepsPerEpoch}`);
  const buffer = allocateWindows(batchSize, context);
  const source = data.windows;
  return {
    kind: 'languageModeling',
    stepsPerEpoch,
    positionsPerSample: context,
    // Teacher signals (token-level distillation) read the windows from the batch's view.
    takesExtraFeeds: true,
    // The windows depend on the corpus length and context (or their source) as well as on the trainer config.
    hashKey: { kind: 'languageModeling', context, stepsPerEpoch, trainTokens: train.length, vocabSize: train.vocabSize, ...(source ? { windows: source.key } : {}) },
    inputShapes: (input) => ({ [input]: [batchSize, context] }),
    batch(_epoch, _k, step, slots) {
      const starts = source ? NO_STARTS : randomWindowStarts(windowRng(seed, step), batchSize, train, context);
      const windows = source ? source.windows(step, buffer) : gatherWindows(train, starts, buffer);
      if (windows.count !== batchSize || windows.context !== context) {
        throw new RetortError('BAD_ARGUMENT', `Window source "${source?.key}" gave ${windows.count} windows of ${windows.context} tokens at step ${step}; the trainer takes ${batchSize} of ${context}`);
      }
      return {
        input: int64Tensor(windows.inputs, slots.input.dims),
        labels: int64Tensor(windows.labels, slots.labels.dims),
        view: { indices: starts, inputs: NO_FLOATS, tokens: windows },
      };
    },
    evaluate(session, split) {
      if (!isTokenSequence(split)) throw new RetortError('BAD_ARGUMENT', `A language-model trainer cannot evaluate dataset "${split.name}"`);
      return evaluateLanguageModel(session, split, { context, batchSize: options.evalBatchSize ?? 32 });
    },
    describe(e) {
      const { perplexity, bitsPerToken } = e as LanguageModelEvaluation;
      return `loss ${e.loss.toFixed(4)} nats/token (${bitsPerToken.toFixed(3)} bits), perplexity ${perplexity.toFixed(2)}`;
    },
  };
}
