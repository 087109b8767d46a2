/**
 * `retort train --data text:PATH`: the language-model branch of `retort train`. Parses the text
 * options, prepares the model and corpus (src/train/languageModelRun.ts does the work), and prints
 * the per-epoch validation loss (nats/token), perplexity and bits per character or byte.
 */
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { TOKENIZER_KINDS } from '../data/text/tokenizer.js';
import { vocabPathFor } from '../data/text/vocab.js';
import { languageModelStepsPerEpoch } from '../data/text/windows.js';
import { parseArchitecture } from '../models/spec.js';
import { parseProvider } from '../runtime/session.js';
import { prepareLanguageModel, trainLanguageModel, type LanguageModelEpochMetrics, type LanguageModelMetrics, type LanguageModelRunConfig } from '../train/languageModelRun.js';
import { RetortError } from '../util/errors.js';
import { formatFields, formatTable } from './format.js';
import { bad, choice, parseNumber, parseOptional, parseTrainingFlags, runSettingsFromFlags, type TrainingFlags } from './trainingOptions.js';
import { previousRun, printRun, requireCheckpoint } from './trainingRun.js';

/** The options only text data takes. */
export interface TextTrainingFlags {
  tokenizer?: string;
  context?: string;
  stepsPerEpoch?: string;
  validationFraction?: string;
}

/** What `retort train` hands over (its flags; the text options among them). */
export interface TextTrainFlags extends TrainingFlags, TextTrainingFlags {
  model?: string;
  arch?: string;
  data: string;
  out: string;
  clipNorm?: string;
  maxNorm?: string;
  validation?: string;
  patience?: string;
  checkpointEvery?: string;
  maxSteps?: string;
  resume?: boolean;
  limitTrain?: string;
  provider: string;
}

/** Fields a resumed run must share with the run that wrote the checkpoint (the Trainer checks the rest). */
const RESUME_FIELDS = ['model', 'data', 'tokenizer', 'context', 'validationFraction', 'limitTokens'] as const;

export function addTextTrainingOptions(command: Command): void {
  command
    .addOption(new Option('--tokenizer <kind>', `text data: ${TOKENIZER_KINDS.join(' or ')} (default: the vocabulary --model carries, else char: the sorted distinct characters of the file)`))
    .option('--context <n>', "text data: window length in tokens (default the model's context: its fixed sequence length, its metadata retort.context, or --arch gpt's context=)")
    .option('--steps-per-epoch <n>', 'text data: batches of random windows per epoch (default: as many as hold the training tokens once)')
    .option('--validation-fraction <x>', 'text data: the fraction of tokens at the end of the file held out for validation, 0 for none', '0.1');
}

/** The text-data options `retort train` and `retort distill` share, parsed (null: not given). */
export function parseTextWindowFlags(flags: Pick<TextTrainingFlags, 'validationFraction' | 'context' | 'stepsPerEpoch'> & { limitTrain?: string }): { validationFraction: number; limitTokens: number | null; context: number | null; stepsPerEpoch: number | null } {
  const validationFraction = parseNumber('--validation-fraction', flags.validationFraction ?? '0.1', 'nonnegative');
  if (validationFraction >= 1) throw bad(`--validation-fraction ${validationFraction}: must be below 1`);
  return {
    validationFraction,
    limitTokens: parseOptional('--limit-train', flags.limitTrain, 'positive-int'),
    context: parseOptional('--context', flags.context, 'positive-int'),
    stepsPerEpoch: parseOptional('--steps-per-epoch', flags.stepsPerEpoch, 'positive-int'),
  };
}

/** The per-epoch table of a language-model run (`unit`: char or byte, for the bits column). */
export function languageEpochTable(epochs: readonly LanguageModelEpochMetrics[], unit: string): string {
  const rows = epochs.map((e) => [
    e.epoch,
    e.trainLoss.toFixed(4),
    e.validation ? e.validation.loss.toFixed(4) : '',
    e.validation ? e.validation.perplexity.toFixed(2) : '',
    e.validation ? e.validation.bitsPerToken.toFixed(3) : '',
    e.validation ? (100 * e.validation.accuracy).toFixed(2) : '',
    // Unknown (NaN, null in metrics.json) for an epoch evaluated after a resume or counted by rounds.
    Number.isFinite(e.seconds) ? e.seconds.toFixed(1) : '',
    Number.isFinite(e.tokensPerSecond) ? Math.round(e.tokensPerSecond) : '',
  ]);
  return formatTable(['epoch', 'train loss', 'val loss', 'val ppl', `val bits/${unit}`, 'val acc %', 'seconds', 'tokens/s'], rows);
}

function printEpochs(metrics: LanguageModelMetrics): void {
  const unit = metrics.data.tokenizer === 'char' ? 'char' : 'byte';
  process.stdout.write(languageEpochTable(metrics.epochs, unit) + '\n');
  const v = metrics.validation;
  const fields: [string, string][] = [
    ['status', metrics.status],
    ['steps', `${metrics.steps} (${metrics.stepsPerEpoch} per epoch, ${metrics.config.batchSize} windows of ${metrics.config.context} tokens)`],
    ['validation', v ? `loss ${v.loss.toFixed(4)} nats/token, perplexity ${v.perplexity.toFixed(2)}, ${v.bitsPerToken.toFixed(3)} bits/${unit} on ${v.tokens} tokens` : 'none held out'],
    ['time', `${metrics.timings.totalSeconds.toFixed(1)} s (training ${metrics.timings.trainSeconds.toFixed(1)} s, ${Math.round(metrics.timings.tokensPerSecond)} tokens/s)`],
  ];
  process.stdout.write(formatFields(fields) + '\n');
}

/** `fileNames`: the base names `retort train` writes in OUT (model, metrics, checkpoint). */
export async function runTextTraining(flags: TextTrainFlags, textPath: string, fileNames: { model: string; metrics: string; checkpoint: string }, argv: readonly string[]): Promise<void> {
  const started = performance.now();
  if ((flags.model === undefined) === (flags.arch === undefined)) throw bad('Give exactly one of --model FILE.onnx (fine-tune a language model) or --arch gpt:... (train one from scratch)');
  const settings = parseTrainingFlags(flags);
  const { batchSize, seed } = settings;
  const tokenizer = flags.tokenizer === undefined ? undefined : choice('--tokenizer', flags.tokenizer, TOKENIZER_KINDS);
  if (flags.validation !== undefined) throw bad('--validation counts held-out samples of a dataset; for text data give --validation-fraction');
  const { validationFraction, limitTokens, context: requestedContext, stepsPerEpoch: requestedSteps } = parseTextWindowFlags(flags);
  const clipNorm = parseOptional('--clip-norm', flags.clipNorm, 'positive');
  const maxNorm = parseOptional('--max-norm', flags.maxNorm, 'positive');
  const patience = parseOptional('--patience', flags.patience, 'positive-int');
  if (patience !== null && validationFraction === 0) throw bad('--patience needs validation tokens (--validation-fraction > 0)');
  const architecture = flags.arch === undefined ? undefined : parseArchitecture(flags.arch);
  if (architecture && architecture.arch !== 'gpt') throw bad(`--arch ${flags.arch}: text data trains a language model; give --arch gpt:...`);
  const provider = parseProvider(flags.provider);
  if (provider !== 'cpu') throw new RetortError('PROVIDER_UNAVAILABLE', `--provider ${provider}: training runs on the cpu provider only for now (the Trainer does not take a provider yet)`);
  const out = resolve(flags.out);
  const files = { model: join(out, fileNames.model), metrics: join(out, fileNames.metrics), checkpoint: join(out, fileNames.checkpoint) };
  requireCheckpoint(flags.resume, files.checkpoint);

  const path = resolve(textPath);
  const prepared = prepareLanguageModel({
    origin: architecture ? { arch: architecture } : { path: flags.model! },
    textPath: path,
    ...(tokenizer ? { tokenizer } : {}),
    validationFraction,
    limitTokens,
    context: requestedContext,
    seed,
  });
  const { corpus, context } = prepared;
  const stepsPerEpoch = requestedSteps ?? languageModelStepsPerEpoch(corpus.train.length, batchSize, context);
  const config: LanguageModelRunConfig = {
    model: prepared.source,
    data: `text:${path}`,
    tokenizer: prepared.tokenizer,
    context,
    validationFraction,
    limitTokens,
    stepsPerEpoch,
    ...runSettingsFromFlags(flags, settings, stepsPerEpoch),
    clipNorm,
    maxNorm,
    patience,
    checkpointEvery: parseOptional('--checkpoint-every', flags.checkpointEvery, 'positive-int') ?? stepsPerEpoch,
  };
  const previous = previousRun<LanguageModelMetrics>(flags.resume, files.metrics, config, RESUME_FIELDS);
  const { metrics } = await trainLanguageModel({
    model: prepared.model,
    config,
    corpus,
    files: { ...files, vocab: vocabPathFor(files.model) },
    resume: Boolean(flags.resume),
    previous,
    progress: flags.json ? 'silent' : 'auto',
    note: (line) => {
      if (!flags.json) process.stderr.write(`${line}\n`);
    },
    started,
  });
  printRun(metrics, flags.json, argv, printEpochs);
}
