/**
 * `retort train (--model FILE.onnx | --arch SPEC) --data mnist --out DIR`: fine-tune an imported
 * ONNX model or train a built architecture, one ORT call per step, and write DIR/model.onnx (the
 * inference model), DIR/metrics.json (per-epoch history, test error, timings, the full config) and
 * DIR/checkpoint.ckpt (which `--resume` continues from, bit for bit).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { batchCount } from '../../data/batches.js';
import { splitValidation, subset, type Dataset } from '../../data/dataset.js';
import { modelInputDims } from '../../data/forModel.js';
import { DATA_SOURCES, loadDataSource } from '../../data/sources.js';
import { parseArchitecture, buildArchitecture, formatArchitecture } from '../../models/spec.js';
import { Graph } from '../../onnx/graph.js';
import { encodeModel, loadModel, saveModel } from '../../onnx/model.js';
import { listParameters } from '../../onnx/parameters.js';
import type { ModelProto } from '../../onnx/proto.js';
import { PROVIDERS, parseProvider, Session } from '../../runtime/session.js';
import { evaluateClassifier, type Evaluation } from '../../train/evaluate.js';
import { OPTIMIZER_KINDS, type OptimizerSpec } from '../../train/optimizers/index.js';
import { maxNormConstraints } from '../../train/maxNormConstraints.js';
import type { ScheduleSpec } from '../../train/schedules.js';
import { Trainer, type TrainerConfig } from '../../train/trainer.js';
import { writeFileAtomic } from '../../util/atomicWrite.js';
import { RetortError } from '../../util/errors.js';
import { formatFields, formatTable } from '../format.js';
import { bad, choice, optimizerSpec, parseNumber, scheduleSpec, SCHEDULES } from '../trainingOptions.js';

export const MODEL_FILE = 'model.onnx';
export const METRICS_FILE = 'metrics.json';
export const CHECKPOINT_FILE = 'checkpoint.ckpt';

interface TrainFlags {
  model?: string;
  arch?: string;
  data: string;
  out: string;
  epochs: string;
  batchSize: string;
  optimizer: string;
  lr?: string;
  momentum?: string;
  nesterov?: boolean;
  weightDecay?: string;
  schedule: string;
  warmupSteps: string;
  stepSize?: string;
  gamma: string;
  clipNorm?: string;
  maxNorm?: string;
  seed: string;
  validation?: string;
  patience?: string;
  checkpointEvery?: string;
  maxSteps?: string;
  resume?: boolean;
  limitTrain?: string;
  provider: string;
  threads: string;
  json?: boolean;
}

/** Everything that decides the run, as recorded in metrics.json. */
export interface RunConfig {
  model: { source: 'arch'; arch: string } | { source: 'file'; path: string; sha256: string };
  data: string;
  limitTrain: number | null;
  validation: number;
  epochs: number;
  batchSize: number;
  seed: number;
  optimizer: OptimizerSpec;
  schedule: ScheduleSpec;
  clipNorm: number | null;
  maxNorm: number | null;
  patience: number | null;
  checkpointEvery: number;
  maxSteps: number | null;
  provider: string;
  threads: number;
}

/** Fields a resumed run must share with the run that wrote the checkpoint (the Trainer checks the rest). */
const RESUME_FIELDS = ['model', 'data', 'limitTrain', 'validation'] as const;

export interface ErrorSummary {
  loss: number;
  accuracy: number;
  samples: number;
  errors: number;
  errorPercent: number;
}

export interface EpochMetrics {
  epoch: number;
  steps: number;
  trainLoss: number;
  trainAccuracy: number;
  validation: ErrorSummary | null;
  test: ErrorSummary;
  /** Wall time of the epoch's training steps (and its validation pass), without the test pass. */
  seconds: number;
  samplesPerSecond: number;
}

export interface TrainMetrics {
  format: 'retort-train-metrics';
  version: 1;
  status: 'running' | 'complete' | 'max-steps' | 'early-stopped';
  date: string;
  config: RunConfig;
  seed: number;
  model: { parameters: number; inputDims: number[] };
  data: { name: string; train: number; validation: number; test: number; inputDims: number[] };
  stepsPerEpoch: number;
  steps: number;
  epochs: EpochMetrics[];
  test: ErrorSummary | null;
  timings: { setupSeconds: number; trainSeconds: number; testSeconds: number; totalSeconds: number; samplesPerSecond: number };
  resumedFromStep: number | null;
}

function summarize(evaluation: Evaluation): ErrorSummary {
  const errors = evaluation.samples - Math.round(evaluation.accuracy * evaluation.samples);
  return { loss: evaluation.loss, accuracy: evaluation.accuracy, samples: evaluation.samples, errors, errorPercent: (100 * errors) / evaluation.samples };
}

function readMetrics(path: string): TrainMetrics | null {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as TrainMetrics;
  } catch {
    return null;
  }
}

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
    e.seconds.toFixed(1),
    Math.round(e.samplesPerSecond),
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
  const started = performance.now();
  // --- Validate the command line before any work.
  if ((flags.model === undefined) === (flags.arch === undefined)) throw bad('Give exactly one of --model FILE.onnx (fine-tune an imported model) or --arch SPEC (train a built architecture)');
  const dataName = choice('--data', flags.data, DATA_SOURCES);
  const epochs = parseNumber('--epochs', flags.epochs, 'positive-int');
  const batchSize = parseNumber('--batch-size', flags.batchSize, 'positive-int');
  const optimizerKind = choice('--optimizer', flags.optimizer, OPTIMIZER_KINDS);
  const scheduleKind = choice('--schedule', flags.schedule, SCHEDULES);
  const lr = parseNumber('--lr', flags.lr ?? (optimizerKind === 'sgd' ? '0.1' : '0.001'), 'positive');
  const optimizer = optimizerSpec(flags, optimizerKind);
  const seed = parseNumber('--seed', flags.seed, 'nonnegative-int');
  const clipNorm = flags.clipNorm === undefined ? null : parseNumber('--clip-norm', flags.clipNorm, 'positive');
  const maxNorm = flags.maxNorm === undefined ? null : parseNumber('--max-norm', flags.maxNorm, 'positive');
  const patience = flags.patience === undefined ? null : parseNumber('--patience', flags.patience, 'positive-int');
  const maxSteps = flags.maxSteps === undefined ? null : parseNumber('--max-steps', flags.maxSteps, 'positive-int');
  const limitTrain = flags.limitTrain === undefined ? null : parseNumber('--limit-train', flags.limitTrain, 'positive-int');
  const validationSize =
    flags.validation === undefined ? (limitTrain === null ? 5000 : Math.floor(limitTrain / 10)) : parseNumber('--validation', flags.validation, 'nonnegative-int');
  if (patience !== null && validationSize === 0) throw bad('--patience needs a validation set (--validation > 0)');
  const provider = parseProvider(flags.provider);
  const threads = parseNumber('--threads', flags.threads, 'nonnegative-int');
  const architecture = flags.arch === undefined ? undefined : parseArchitecture(flags.arch);
  if (provider !== 'cpu') {
    // The Trainer creates its training session itself and does not take a provider yet.
    throw new RetortError('PROVIDER_UNAVAILABLE', `--provider ${provider}: training runs on the cpu provider only for now (the Trainer does not take a provider yet)`);
  }

  const outDir = resolve(flags.out);
  const metricsPath = join(outDir, METRICS_FILE);
  const checkpointPath = join(outDir, CHECKPOINT_FILE);
  if (flags.resume && !existsSync(checkpointPath)) throw new RetortError('FILE_NOT_FOUND', `--resume: no checkpoint at ${checkpointPath}`);

  // --- Model and data.
  let model: ModelProto;
  let modelConfig: RunConfig['model'];
  if (architecture) {
    model = buildArchitecture(architecture, { seed });
    modelConfig = { source: 'arch', arch: formatArchitecture(architecture) };
  } else {
    const path = resolve(flags.model!);
    model = loadModel(path);
    modelConfig = { source: 'file', path, sha256: createHash('sha256').update(readFileSync(path)).digest('hex') };
  }
  const inputDims = modelInputDims(model);
  const sources = loadDataSource(dataName, { inputDims });
  let train: Dataset = limitTrain === null ? sources.train : subset(sources.train, limitTrain);
  let validation: Dataset | undefined;
  if (validationSize > 0) {
    if (validationSize >= train.length) throw bad(`--validation ${validationSize}: must be smaller than the ${train.length} training samples`);
    ({ train, validation } = splitValidation(train, { method: 'last', size: validationSize }));
  }
  if (train.length < batchSize) throw bad(`--batch-size ${batchSize}: larger than the ${train.length} training samples`);
  const stepsPerEpoch = batchCount(train.length, batchSize, true);
  const totalSteps = Math.min(maxSteps ?? Infinity, epochs * stepsPerEpoch);
  // The schedule spans the whole run (epochs), not a --max-steps budget, so interrupted and whole runs agree.
  const schedule = scheduleSpec(flags, scheduleKind, lr, epochs * stepsPerEpoch, stepsPerEpoch);
  const checkpointEvery = flags.checkpointEvery === undefined ? stepsPerEpoch : parseNumber('--checkpoint-every', flags.checkpointEvery, 'positive-int');

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
  const previous = flags.resume ? readMetrics(metricsPath) : null;
  if (previous) {
    const differing = RESUME_FIELDS.filter((k) => JSON.stringify(previous.config[k]) !== JSON.stringify(config[k]));
    if (differing.length > 0) {
      throw new RetortError('CHECKPOINT_INVALID', `--resume: ${metricsPath} records another run (${differing.map((k) => `${k} ${JSON.stringify(previous.config[k])}`).join(', ')}); it cannot resume this one`);
    }
  }

  const trainerConfig: TrainerConfig = {
    batchSize,
    epochs,
    seed,
    optimizer,
    schedule,
    ...(clipNorm !== null ? { clipGlobalNorm: clipNorm } : {}),
    ...(maxNorm !== null ? { maxNorm: maxNormConstraints(model, maxNorm) } : {}),
    ...(patience !== null ? { earlyStopping: { patience, metric: 'loss' as const } } : {}),
    checkpoint: { path: checkpointPath, everySteps: checkpointEvery },
    threads,
    progress: flags.json ? 'silent' : 'auto',
  };
  const trainer = await Trainer.create(model, trainerConfig, { train, ...(validation ? { validation } : {}) }, flags.resume ? { resumeFrom: checkpointPath } : {});
  const resumedFromStep = flags.resume ? trainer.step : null;
  const epochsDone = (step: number): number => Math.floor(step / stepsPerEpoch);
  const metrics: TrainMetrics = {
    format: 'retort-train-metrics',
    version: 1,
    status: 'running',
    date: new Date().toISOString(),
    config,
    seed,
    model: { parameters: listParameters(new Graph(model.graph!)).reduce((n, p) => n + p.dims.reduce((a, b) => a * b, 1), 0), inputDims: inputDims ?? [...train.inputDims] },
    data: { name: dataName, train: train.length, validation: validation?.length ?? 0, test: sources.test.length, inputDims: [...train.inputDims] },
    stepsPerEpoch,
    steps: trainer.step,
    // Epochs finished before the checkpoint keep the test results the earlier run recorded.
    epochs: (previous?.epochs ?? []).filter((e) => e.epoch <= epochsDone(trainer.step)),
    test: null,
    timings: { setupSeconds: 0, trainSeconds: 0, testSeconds: 0, totalSeconds: 0, samplesPerSecond: 0 },
    resumedFromStep,
  };
  metrics.timings.setupSeconds = (performance.now() - started) / 1000;

  const testOnce = async (): Promise<ErrorSummary> => {
    const t0 = performance.now();
    const session = await Session.create(encodeModel(trainer.exportModel()), { name: 'test model', threads, provider });
    try {
      return summarize(await evaluateClassifier(session, sources.test, 1000));
    } finally {
      await session.dispose();
      metrics.timings.testSeconds += (performance.now() - t0) / 1000;
    }
  };
  const note = (text: string): void => {
    if (!flags.json) process.stderr.write(`${text}\n`);
  };

  let stoppedEarly = false;
  try {
    // One fit() per epoch (the Trainer reads maxSteps at each call), so each epoch ends with a test pass.
    while (trainer.step < totalSteps) {
      const fromStep = trainer.step;
      trainerConfig.maxSteps = Math.min(totalSteps, (epochsDone(fromStep) + 1) * stepsPerEpoch);
      const t0 = performance.now();
      const result = await trainer.fit();
      const seconds = (performance.now() - t0) / 1000;
      metrics.timings.trainSeconds += seconds;
      metrics.steps = trainer.step;
      const record = result.history.at(-1);
      if (record && trainer.step % stepsPerEpoch === 0 && record.epoch === epochsDone(trainer.step) - 1) {
        const test = await testOnce();
        const epoch: EpochMetrics = {
          epoch: record.epoch + 1,
          steps: trainer.step,
          trainLoss: record.trainLoss,
          trainAccuracy: record.trainAccuracy,
          validation: record.validation ? summarize(record.validation) : null,
          test,
          seconds,
          samplesPerSecond: ((trainer.step - fromStep) * batchSize) / seconds,
        };
        metrics.epochs = [...metrics.epochs.filter((e) => e.epoch !== epoch.epoch), epoch];
        note(`epoch ${epoch.epoch}: test error ${test.errors} of ${test.samples} (${pct(test.errorPercent)}%), ${seconds.toFixed(1)} s`);
      }
      writeFileAtomic(metricsPath, JSON.stringify(metrics, null, 2) + '\n');
      if (result.stoppedEarly) {
        stoppedEarly = true;
        break;
      }
      if (trainer.step === fromStep) break;
    }
    const last = metrics.epochs.at(-1);
    metrics.test = last && last.steps === trainer.step ? last.test : await testOnce();
    saveModel(trainer.exportModel(), join(outDir, MODEL_FILE));
  } finally {
    await trainer.dispose();
  }
  metrics.status = stoppedEarly ? 'early-stopped' : trainer.step < epochs * stepsPerEpoch ? 'max-steps' : 'complete';
  metrics.timings.totalSeconds = (performance.now() - started) / 1000;
  const trainedSteps = trainer.step - (resumedFromStep ?? 0);
  metrics.timings.samplesPerSecond = metrics.timings.trainSeconds > 0 ? (trainedSteps * batchSize) / metrics.timings.trainSeconds : 0;
  writeFileAtomic(metricsPath, JSON.stringify(metrics, null, 2) + '\n');
  if (flags.json) process.stdout.write(JSON.stringify({ ...metrics, command: argv.slice(2) }, null, 2) + '\n');
  else printEpochs(metrics);
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description(
      'Train a built architecture (--arch) or fine-tune an imported ONNX model (--model) on a dataset, one ORT call per step ' +
        '(forward + softmax cross-entropy + backward + optimizer in one graph). Writes OUT/model.onnx (the inference model), ' +
        'OUT/metrics.json (per-epoch loss, accuracy, validation and test error, timings, the full config and seed) and ' +
        `OUT/${CHECKPOINT_FILE}. The data is loaded in the layout the model's input declares (MNIST: flat [784] or image [1, 28, 28]).`,
    )
    .option('--model <file>', 'ONNX model to fine-tune (e.g. exported from PyTorch); its first input is the data, its first output the logits')
    .option('--arch <spec>', 'architecture to build and train from scratch: mlp:800,800[,dropout=0.5], lenet-300-100, lenet5, resnet:8,16[,blocks=2]')
    .addOption(new Option('--data <name>', `training data: ${DATA_SOURCES.join(', ')}`).makeOptionMandatory())
    .requiredOption('--out <dir>', 'output folder for model.onnx, metrics.json and the checkpoint (created if missing)')
    .option('--epochs <n>', 'passes over the training set', '10')
    .option('--batch-size <n>', 'samples per step (the last partial batch of an epoch is dropped)', '128')
    .option('--optimizer <name>', `update rule: ${OPTIMIZER_KINDS.join(', ')}`, 'sgd')
    .option('--lr <x>', 'peak learning rate (default 0.1 for sgd, 0.001 for adam and adamw)')
    .option('--momentum <x>', 'SGD momentum in [0, 1) (default 0.9; sgd only)')
    .option('--nesterov', 'Nesterov momentum (sgd only)')
    .option('--weight-decay <x>', 'L2 penalty for sgd and adam; decoupled decay for adamw (default 0, adamw 0.01)')
    .option('--schedule <name>', `learning-rate schedule over the whole run: ${SCHEDULES.join(', ')}`, 'cosine')
    .option('--warmup-steps <n>', 'linear warmup steps before the schedule (cosine, constant)', '0')
    .option('--step-size <n>', 'step schedule: steps between decays (default a third of the run, rounded up to whole epochs)')
    .option('--gamma <x>', 'step schedule: factor applied at each decay', '0.1')
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
    .option('--json', 'print the metrics as JSON on stdout (no progress output)')
    .action(async (flags: TrainFlags) => runTrain(flags, process.argv));
}
