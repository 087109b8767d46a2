/**
 * `retort train (--model FILE.onnx | --arch SPEC) --data mnist --out DIR`: fine-tune an imported
 * ONNX model or train a built architecture, one ORT call per step, and write DIR/model.onnx (the
 * inference model), DIR/metrics.json (per-epoch history, test error, timings, the full config) and
 * DIR/checkpoint.ckpt (which `--resume` continues from, bit for bit).
 */
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { modelInputDims } from '../../data/forModel.js';
import { DATA_SOURCES, loadDataSource, TEXT_SOURCE_PREFIX, textSourcePath } from '../../data/sources.js';
import { ARCHITECTURE_EXAMPLES, parseArchitecture } from '../../models/spec.js';
import { PROVIDERS, parseProvider } from '../../runtime/session.js';
import { runSteps, trainClassifier, type RunConfig, type TrainMetrics } from '../../train/classifierRun.js';
import { modelToTrain } from '../../train/modelSource.js';
import { RetortError } from '../../util/errors.js';
import { formatFields, formatTable } from '../format.js';
import { bad, choice, optimizationOptions, parseNumber, parseOptional, parseTrainingFlags, scheduleFor, validationSize as parseValidationSize } from '../trainingOptions.js';
import { commandRun, holdOutValidation, previousRun, printRun, requireCheckpoint } from '../trainingRun.js';
import { addTextTrainingOptions, runTextTraining, type TextTrainFlags } from '../textTraining.js';

export type { EpochMetrics, ErrorSummary, RunConfig, TrainMetrics } from '../../train/classifierRun.js';

export const MODEL_FILE = 'model.onnx';
export const METRICS_FILE = 'metrics.json';
export const CHECKPOINT_FILE = 'checkpoint.ckpt';

/** `retort train`'s flags, the text options among them (textTraining.ts declares them for both paths). */
type TrainFlags = TextTrainFlags;

/** Fields a resumed run must share with the run that wrote the checkpoint (the Trainer checks the rest). */
const RESUME_FIELDS = ['model', 'data', 'limitTrain', 'validation'] as const;

const pct = (x: number): string => x.toFixed(2);

function printEpochs(metrics: TrainMetrics): void {
  const rows = metrics.epochs.map((e) => [
    e.epoch,
    e.trainLoss.toFixed(4),
    pct(100 * e.trainAccuracy),
    e.validation ? e.validation.loss.toFixed(4) : '',
    e.validation ? pct(e.validation.errorPercent) : '',
    e.test.errors,
    pct(e.test.errorPercent),
    // Unknown (NaN) for an epoch measured on resume after its record was lost.
    Number.isFinite(e.seconds) ? e.seconds.toFixed(1) : '',
    Number.isFinite(e.samplesPerSecond) ? Math.round(e.samplesPerSecond) : '',
  ]);
  const headers = ['epoch', 'train loss', 'train acc %', 'val loss', 'val err %', 'test errors', 'test err %', 'seconds', 'samples/s'];
  process.stdout.write(formatTable(headers, rows) + '\n');
  const t = metrics.test;
  const fields: [string, string][] = [
    ['status', metrics.status],
    ['steps', `${metrics.steps} (${metrics.stepsPerEpoch} per epoch)`],
    ['test error', t ? `${t.errors} of ${t.samples} (${pct(t.errorPercent)}%), loss ${t.loss.toFixed(4)}` : 'not measured'],
    ['time', `${metrics.timings.totalSeconds.toFixed(1)} s (training ${metrics.timings.trainSeconds.toFixed(1)} s, ${Math.round(metrics.timings.samplesPerSecond)} samples/s)`],
  ];
  process.stdout.write(formatFields(fields) + '\n');
}

async function runTrain(flags: TrainFlags, argv: readonly string[]): Promise<void> {
  const textPath = textSourcePath(flags.data);
  if (textPath !== null) return runTextTraining(flags, textPath, { model: MODEL_FILE, metrics: METRICS_FILE, checkpoint: CHECKPOINT_FILE }, argv);
  const started = performance.now();
  // --- Validate the command line before any work.
  if ((flags.model === undefined) === (flags.arch === undefined)) throw bad('Give exactly one of --model FILE.onnx (fine-tune an imported model) or --arch SPEC (train a built architecture)');
  const dataName = choice('--data', flags.data, [...DATA_SOURCES, `${TEXT_SOURCE_PREFIX}PATH`]);
  const settings = parseTrainingFlags(flags);
  const { epochs, batchSize, optimizer, seed } = settings;
  const clipNorm = parseOptional('--clip-norm', flags.clipNorm, 'positive');
  const maxNorm = parseOptional('--max-norm', flags.maxNorm, 'positive');
  const patience = parseOptional('--patience', flags.patience, 'positive-int');
  const maxSteps = parseOptional('--max-steps', flags.maxSteps, 'positive-int');
  const limitTrain = parseOptional('--limit-train', flags.limitTrain, 'positive-int');
  const validationSize = parseValidationSize(flags.validation, limitTrain);
  if (patience !== null && validationSize === 0) throw bad('--patience needs a validation set (--validation > 0)');
  const provider = parseProvider(flags.provider);
  const threads = parseNumber('--threads', flags.threads, 'nonnegative-int');
  const architecture = flags.arch === undefined ? undefined : parseArchitecture(flags.arch);
  if (provider !== 'cpu') {
    // The Trainer creates its training session itself and does not take a provider yet.
    throw new RetortError('PROVIDER_UNAVAILABLE', `--provider ${provider}: training runs on the cpu provider only for now (the Trainer does not take a provider yet)`);
  }

  const outDir = resolve(flags.out);
  const files = { model: join(outDir, MODEL_FILE), metrics: join(outDir, METRICS_FILE), checkpoint: join(outDir, CHECKPOINT_FILE) };
  requireCheckpoint(flags.resume, files.checkpoint);

  // --- Model and data.
  const { model, source: modelConfig } = modelToTrain(architecture ? { arch: architecture } : { path: flags.model! }, seed);
  const sources = loadDataSource(dataName, { inputDims: modelInputDims(model) });
  const { train, validation } = holdOutValidation(sources.train, limitTrain, validationSize);
  if (train.length < batchSize) throw bad(`--batch-size ${batchSize}: larger than the ${train.length} training samples`);
  const { stepsPerEpoch } = runSteps(train.length, { batchSize, epochs, maxSteps });
  // The schedule spans the whole run (epochs), not a --max-steps budget, so interrupted and whole runs agree.
  const schedule = scheduleFor(flags, settings, stepsPerEpoch);
  const checkpointEvery = parseOptional('--checkpoint-every', flags.checkpointEvery, 'positive-int') ?? stepsPerEpoch;

  const config: RunConfig = {
    model: modelConfig,
    data: dataName,
    limitTrain,
    validation: validationSize,
    epochs,
    batchSize,
    seed,
    optimizer,
    schedule,
    clipNorm,
    maxNorm,
    patience,
    checkpointEvery,
    maxSteps,
    provider,
    threads,
  };
  const previous = previousRun<TrainMetrics>(flags.resume, files.metrics, config, RESUME_FIELDS);
  const { metrics } = await trainClassifier({
    model,
    config,
    data: { train, ...(validation ? { validation } : {}), test: sources.test },
    files,
    previous,
    ...commandRun(flags, started),
  });
  printRun(metrics, flags.json, argv, printEpochs);
}

export function registerTrain(program: Command): void {
  const command = program
    .command('train')
    .description(
      'Train a built architecture (--arch) or fine-tune an imported ONNX model (--model) on a dataset, one ORT call per step ' +
        '(forward + softmax cross-entropy + backward + optimizer in one graph). Writes OUT/model.onnx (the inference model), ' +
        'OUT/metrics.json (per-epoch loss, accuracy, validation and test error, timings, the full config and seed) and ' +
        `OUT/${CHECKPOINT_FILE}. The data is loaded in the layout the model's input declares (MNIST: flat [784] or image [1, 28, 28]).`,
    )
    .option('--model <file>', 'ONNX model to fine-tune (e.g. exported from PyTorch); its first input is the data, its first output the logits')
    .option('--arch <spec>', `architecture to build and train from scratch: ${ARCHITECTURE_EXAMPLES}`)
    .addOption(new Option('--data <name>', `training data: ${DATA_SOURCES.join(', ')}, or text:PATH (a text file for a language model: --arch gpt:... or a --model taking token ids)`).makeOptionMandatory())
    .requiredOption('--out <dir>', 'output folder for model.onnx, metrics.json and the checkpoint (created if missing)')
    .option('--epochs <n>', 'passes over the training set', '10')
    .option('--batch-size <n>', 'samples per step (the last partial batch of an epoch is dropped)', '128');
  for (const option of optimizationOptions()) command.addOption(option);
  command
    .option('--clip-norm <x>', 'clip all gradients together to this global L2 norm')
    .option('--max-norm <x>', "max-norm constraint: rescale each unit's incoming weights (every weight matrix or kernel) to L2 norm <= x after each update")
    .option('--seed <n>', 'seed of the initial weights (--arch), the epoch shuffles and the dropout masks', '0')
    .option('--validation <n>', 'hold out the last n training samples for validation, 0 for none (default 5000, or a tenth of --limit-train)')
    .option('--patience <n>', 'stop when the validation loss has not improved for n epochs')
    .option('--checkpoint-every <n>', `write OUT/${CHECKPOINT_FILE} every n steps (default: every epoch); also written when the run ends or stops`)
    .option('--max-steps <n>', 'stop after n steps in all (the schedule still spans --epochs); continue later with --resume')
    .option('--resume', `continue exactly from OUT/${CHECKPOINT_FILE}; the command line must describe the same run`)
    .option('--limit-train <n>', 'train on the first n training samples only (quick runs)')
    .option('--provider <name>', `execution provider: ${PROVIDERS.join(', ')}`, 'cpu')
    .option('--threads <n>', 'ORT intra-op threads, 0 to let ORT choose', '0')
    .option('--json', 'print the metrics as JSON on stdout (no progress output)');
  addTextTrainingOptions(command);
  command.action(async (flags: TrainFlags) => runTrain(flags, process.argv));
}
