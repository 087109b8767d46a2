/**
 * The `train` stage on a text entry: a GPT-style language model (a built `gpt:...` architecture, or
 * the `model` input with the tokenizer it carries) trained on random windows of the text, as
 * `retort train --data text:PATH` does it (src/train/languageModelRun.ts), with the validation loss
 * (nats/token) and perplexity after each epoch; model.onnx carries its tokenizer and context.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { vocabPathFor } from '../../data/text/vocab.js';
import { languageModelStepsPerEpoch } from '../../data/text/windows.js';
import { prepareLanguageModel, trainLanguageModel, type LanguageModelMetrics, type LanguageModelRunConfig, type LanguageModelSummary } from '../../train/languageModelRun.js';
import type { ModelProto } from '../../onnx/proto.js';
import type { ModelOrigin } from '../../train/modelSource.js';
import { RetortError } from '../../util/errors.js';
import type { DataInput, StageContext, TextDataInput } from '../pipeline/stageKind.js';
import { runSettingsOf, type FineTuneKwargs } from './fineTuneKwargs.js';
import { resumableRun } from './resumable.js';

/** What the training stages take for text data only. */
export const textWindowShape = {
  context: z.number().int().positive().optional().describe("text data: window length in tokens (default the model's context: the teacher's for distill)"),
  stepsPerEpoch: z.number().int().positive().optional().describe('text data: batches of random windows per epoch (default: as many as hold the training tokens once)'),
};

/** The train stage's kwargs this branch reads. */
export interface TextTrainKwargs {
  epochs: number;
  batchSize: number;
  optimizer: FineTuneKwargs['optimizer'];
  schedule: FineTuneKwargs['schedule'];
  jitter: number;
  maxSteps?: number | undefined;
  checkpointEvery?: number | undefined;
  clipNorm: number | null;
  maxNorm: number | null;
  patience: number | null;
  context?: number | undefined;
  stepsPerEpoch?: number | undefined;
}

/** The text input of a stage's `data`, or undefined for classification data. */
export const textOf = (data: DataInput | undefined): TextDataInput | undefined => data?.text;

/** Validation numbers of a language model as a stage's metrics (in place of test error). */
export function languageModelStageMetrics(validation: LanguageModelSummary | null): Record<string, unknown> {
  return validation
    ? { validationLoss: validation.loss, perplexity: validation.perplexity, bitsPerToken: validation.bitsPerToken, validationAccuracy: validation.accuracy, validationTokens: validation.tokens }
    : { validationLoss: null, perplexity: null };
}

/** Trains into ctx.dir: model.onnx (and its vocabulary beside it) and `recordFile`, the run's own record; the stage summary is the caller's. */
export async function runTextTraining(
  ctx: StageContext,
  kwargs: TextTrainKwargs,
  input: { name: string; text: TextDataInput },
  origin: ModelOrigin,
  run: { started: number; recordFile: string },
): Promise<{ model: ModelProto; metrics: LanguageModelMetrics; file: string }> {
  const { text } = input;
  if ('arch' in origin && origin.arch.arch !== 'gpt') throw new RetortError('BAD_ARGUMENT', `train: data entry "${input.name}" is text; kwargs.arch must be a language model (gpt:...)`);
  if (kwargs.jitter > 0) throw new RetortError('BAD_ARGUMENT', `train: kwargs.jitter shifts images; data entry "${input.name}" is text`);
  if (kwargs.patience !== null && text.validationFraction === 0) throw new RetortError('BAD_ARGUMENT', `train: kwargs.patience needs validation tokens (data entry "${input.name}" validationFraction > 0)`);
  const prepared = prepareLanguageModel({
    origin,
    textPath: text.path,
    tokenizer: text.tokenizer,
    validationFraction: text.validationFraction,
    limitTokens: null,
    context: kwargs.context ?? null,
    seed: ctx.seed,
    loadCorpus: (tokenizer) => text.corpus(tokenizer),
  });
  const { corpus, context } = prepared;
  const stepsPerEpoch = kwargs.stepsPerEpoch ?? languageModelStepsPerEpoch(corpus.train.length, kwargs.batchSize, context);
  const config: LanguageModelRunConfig = {
    model: prepared.source,
    data: input.name,
    tokenizer: prepared.tokenizer,
    context,
    validationFraction: text.validationFraction,
    limitTokens: null,
    stepsPerEpoch,
    ...runSettingsOf(kwargs, ctx, stepsPerEpoch),
    clipNorm: kwargs.clipNorm,
    maxNorm: kwargs.maxNorm,
    patience: kwargs.patience,
    checkpointEvery: kwargs.checkpointEvery ?? stepsPerEpoch,
  };
  const model = join(ctx.dir, 'model.onnx');
  const files = { model, vocab: vocabPathFor(model), metrics: join(ctx.dir, run.recordFile), checkpoint: ctx.checkpoint };
  const { metrics, model: trained } = await resumableRun<LanguageModelMetrics, Awaited<ReturnType<typeof trainLanguageModel>>>(ctx, 'train', files.metrics, (reporting) =>
    trainLanguageModel({ model: prepared.model, config, corpus, files, ...reporting, started: run.started }),
  );
  return { model: trained, metrics, file: files.metrics };
}
