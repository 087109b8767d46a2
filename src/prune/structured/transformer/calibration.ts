/**
 * Calibration batches for a language model: `windows` windows of `context` tokens at seeded random
 * starts in a token sequence (the training split; Minitron calibrates on 1024 training samples),
 * fed as int64 [batch, context] under the model's token input.
 */
import type { TokenSequence } from '../../../data/text/corpus.js';
import { languageModelIo } from '../../../data/text/forLanguageModel.js';
import { randomWindowStarts, windowBatches } from '../../../data/text/windows.js';
import type { ModelProto } from '../../../onnx/proto.js';
import type { Feeds } from '../../../runtime/session.js';
import { int64Tensor } from '../../../runtime/tensors.js';
import { RetortError } from '../../../util/errors.js';
import { Rng } from '../../../util/random.js';

export interface TokenCalibrationOptions {
  context: number;
  windows: number;
  batchSize: number;
  seed: number;
}

export function tokenCalibrationBatches(model: ModelProto, sequence: TokenSequence, options: TokenCalibrationOptions): Feeds[] {
  const { context, windows, batchSize, seed } = options;
  for (const [name, value] of Object.entries({ windows, batchSize })) {
    if (!(Number.isInteger(value) && value > 0)) throw new RetortError('BAD_ARGUMENT', `Calibration ${name} ${value}: expected a positive integer`);
  }
  const input = languageModelIo(model).input;
  const starts = randomWindowStarts(new Rng(seed), windows, sequence, context);
  const batches: Feeds[] = [];
  for (const batch of windowBatches(sequence, starts, context, batchSize)) batches.push({ [input]: int64Tensor(batch.inputs.slice(), [batch.count, context]) });
  return batches;
}
