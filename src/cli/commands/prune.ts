/**
 * `retort prune MODEL --out FILE`: unstructured or 2:4 pruning with a chosen importance (magnitude,
 * Han et al.'s std threshold, movement, Wanda, random) and schedule (one-shot, iterative, AGP, lottery
 * ticket), reporting per-layer sparsity, file size (raw and gzip) and test accuracy before and after.
 */
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Option, type Command } from 'commander';
import { selectSamples, type Dataset } from '../../data/dataset.js';
import { modelInputDims } from '../../data/forModel.js';
import { DATA_SOURCES, loadDataSource } from '../../data/sources.js';
import { encodeModel, loadModel, saveModel } from '../../onnx/model.js';
import type { ModelProto } from '../../onnx/proto.js';
import type { ImportanceSource } from '../../prune/evidence.js';
import { IMPORTANCE_METHODS, importanceScorer, type ImportanceMethod, type PruningScope } from '../../prune/importance/index.js';
import type { MaskSelection } from '../../prune/masks.js';
import { gradualPrune } from '../../prune/schedules/agp.js';
import { iterativePrune } from '../../prune/schedules/iterative.js';
import { lotteryTicket } from '../../prune/schedules/lottery.js';
import { oneShotPrune } from '../../prune/schedules/oneshot.js';
import { sparsityReport, type SparsityReport } from '../../prune/sparsity.js';
import { Session } from '../../runtime/session.js';
import { evaluateClassifier } from '../../train/evaluate.js';
import { batchCount } from '../../data/batches.js';
import type { TrainerConfig } from '../../train/trainer.js';
import { Rng } from '../../util/random.js';
import { formatBytes, formatFields, formatTable } from '../format.js';
import { bad, choice, parseNumber } from '../trainingOptions.js';

const SCHEDULES = ['oneshot', 'iterative', 'agp', 'lottery'] as const;
const PATTERNS = ['unstructured', '2:4'] as const;
const SCOPES: readonly PruningScope[] = ['layer', 'global', 'row'];

interface PruneFlags {
  out: string;
  method: string;
  sparsity?: string;
  quality?: string;
  scope?: string;
  pattern: string;
  schedule: string;
  rounds?: string;
  fineTuneEpochs: string;
  data: string;
  calibrationSize: string;
  batchSize: string;
  lr: string;
  seed: string;
  threads: string;
  json?: boolean;
}

interface ModelSummary {
  bytes: number;
  gzipBytes: number;
  testAccuracy: number;
  testLoss: number;
}

async function summarize(model: ModelProto, test: Dataset, threads: number): Promise<ModelSummary> {
  const bytes = encodeModel(model);
  const session = await Session.create(bytes, { name: 'test model', threads });
  try {
    const evaluation = await evaluateClassifier(session, test, 1000);
    return { bytes: bytes.byteLength, gzipBytes: gzipSync(bytes).byteLength, testAccuracy: evaluation.accuracy, testLoss: evaluation.loss };
  } finally {
    await session.dispose();
  }
}

function importanceSource(method: ImportanceMethod, seed: number, calibrationSet: Dataset, threads: number): ImportanceSource {
  switch (method) {
    case 'wanda':
      return { method, calibrationSet, threads };
    case 'random':
      return { method, seed };
    default:
      return { method };
  }
}

async function runPrune(modelPath: string, flags: PruneFlags, argv: readonly string[]): Promise<void> {
  const method = choice('--method', flags.method, IMPORTANCE_METHODS);
  const schedule = choice('--schedule', flags.schedule, SCHEDULES);
  const pattern = choice('--pattern', flags.pattern, PATTERNS);
  const scope = flags.scope === undefined ? importanceScorer(method).defaultScope : choice('--scope', flags.scope, SCOPES);
  const epochs = parseNumber('--fine-tune-epochs', flags.fineTuneEpochs, 'nonnegative-int');
  const seed = parseNumber('--seed', flags.seed, 'nonnegative-int');
  const threads = parseNumber('--threads', flags.threads, 'nonnegative-int');
  const batchSize = parseNumber('--batch-size', flags.batchSize, 'positive-int');
  const lr = parseNumber('--lr', flags.lr, 'positive');
  const calibrationSize = parseNumber('--calibration-size', flags.calibrationSize, 'positive-int');
  const rounds = flags.rounds === undefined ? undefined : parseNumber('--rounds', flags.rounds, 'positive-int');
  const dataName = choice('--data', flags.data, DATA_SOURCES);
  if (flags.quality !== undefined && method !== 'han') throw bad('--quality applies to --method han');
  if (flags.quality !== undefined && flags.sparsity !== undefined) throw bad('Give --sparsity or --quality, not both');
  const quality = flags.quality === undefined ? undefined : parseNumber('--quality', flags.quality, 'nonnegative');
  const sparsity = flags.sparsity === undefined ? 0.5 : parseNumber('--sparsity', flags.sparsity, 'nonnegative');
  if (sparsity >= 1) throw bad(`--sparsity ${sparsity}: must be below 1`);
  if (pattern === '2:4' && flags.sparsity !== undefined && sparsity !== 0.5) throw bad(`--pattern 2:4 prunes exactly 50%; --sparsity ${sparsity} contradicts it`);
  if (pattern === '2:4' && schedule !== 'oneshot') throw bad('--pattern 2:4 runs with --schedule oneshot (then fine-tune with --fine-tune-epochs)');
  if (quality !== undefined && schedule !== 'oneshot') throw bad('--quality (a threshold) runs with --schedule oneshot; the other schedules take --sparsity');
  if (schedule === 'lottery' && method !== 'magnitude') throw bad('--schedule lottery prunes by magnitude (Frankle & Carbin 2019): use --method magnitude');
  if ((schedule === 'agp' || schedule === 'lottery') && epochs === 0) throw bad(`--schedule ${schedule} prunes while training: give --fine-tune-epochs > 0`);
  if (method === 'movement' && epochs === 0) throw bad('--method movement accumulates importance during training: give --fine-tune-epochs > 0');

  const model = loadModel(resolve(modelPath));
  const sources = loadDataSource(dataName, { inputDims: modelInputDims(model) });
  const calibrationSet = selectSamples(sources.train, new Rng(seed).permutation(sources.train.length).subarray(0, calibrationSize), `${dataName} calibration`);
  const source = importanceSource(method, seed, calibrationSet, threads);
  const config: TrainerConfig = {
    batchSize, epochs: Math.max(1, epochs), seed, threads, progress: flags.json ? 'silent' : 'auto',
    optimizer: { kind: 'sgd', momentum: 0.9 }, schedule: { kind: 'constant', lr },
  };
  const data = { train: sources.train };
  const fineTune = epochs > 0 ? { config, data } : undefined;
  const selection: MaskSelection =
    pattern === '2:4' ? { pattern: 'n:m', n: 2, m: 4 } : quality !== undefined ? { pattern: 'unstructured', threshold: quality } : { pattern: 'unstructured', sparsity, scope };

  const before = await summarize(model, sources.test, threads);
  let pruned: ModelProto;
  let skipped: { layer: string; reason: string }[] = [];
  switch (schedule) {
    case 'oneshot': {
      const result = await oneShotPrune(model, { importance: source, selection, fineTune });
      pruned = result.model;
      skipped = result.skipped;
      break;
    }
    case 'iterative':
      pruned = (await iterativePrune(model, { importance: source, scope, sparsity, rounds: rounds ?? 3, retrain: fineTune })).model;
      break;
    case 'agp': {
      const totalSteps = epochs * batchCount(sources.train.length, batchSize, true);
      const n = rounds ?? 10;
      // Prune over the first three quarters of training, then train on with the final masks.
      const frequency = Math.max(1, Math.floor((0.75 * totalSteps) / n));
      pruned = (await gradualPrune(model, { importance: source, scope, config, data, schedule: { initialSparsity: 0, finalSparsity: sparsity, startStep: 0, frequency, pruningSteps: n } })).model;
      break;
    }
    case 'lottery': {
      // --rounds: reach the target in that many equal-rate rounds; default 20% of the remaining weights per round.
      const ratePerRound = rounds === undefined ? 0.2 : 1 - (1 - sparsity) ** (1 / rounds);
      const tickets = await lotteryTicket(model, { config, data, targets: [sparsity], ratePerRound, scope: scope === 'global' ? 'global' : 'layer' });
      pruned = tickets.at(-1)!.result.model;
      break;
    }
  }
  saveModel(pruned, resolve(flags.out));
  const after = await summarize(pruned, sources.test, threads);
  const report = sparsityReport(pruned);
  const summary = { model: resolve(modelPath), out: resolve(flags.out), method, schedule, pattern, scope, sparsity: quality === undefined ? sparsity : null, quality: quality ?? null, fineTuneEpochs: epochs, seed, before, after, sparsityReport: report, skipped };
  if (flags.json) {
    process.stdout.write(JSON.stringify({ ...summary, command: argv.slice(2) }, null, 2) + '\n');
    return;
  }
  printReport(report, before, after, skipped);
}

function printReport(report: SparsityReport, before: ModelSummary, after: ModelSummary, skipped: { layer: string; reason: string }[]): void {
  const pct = (x: number) => (100 * x).toFixed(2);
  const rows = report.layers.map((l) => [l.name, l.opType, l.dims.join('x'), l.count, l.zeros, pct(l.sparsity)]);
  rows.push(['prunable weights', '', '', report.prunable.count, report.prunable.zeros, pct(report.prunable.sparsity)]);
  rows.push(['all parameters', '', '', report.all.count, report.all.zeros, pct(report.all.sparsity)]);
  process.stdout.write(formatTable(['layer', 'op', 'dims', 'weights', 'zeros', 'sparsity %'], rows) + '\n');
  const fields: [string, string][] = [
    ['size', `${formatBytes(before.bytes)} -> ${formatBytes(after.bytes)} (raw)`],
    ['gzip', `${formatBytes(before.gzipBytes)} -> ${formatBytes(after.gzipBytes)}`],
    ['test accuracy', `${pct(before.testAccuracy)}% -> ${pct(after.testAccuracy)}%`],
  ];
  for (const s of skipped) fields.push(['left dense', `${s.layer} (${s.reason})`]);
  process.stdout.write(formatFields(fields) + '\n');
}

export function registerPrune(program: Command): void {
  program
    .command('prune')
    .argument('<model>', 'ONNX classifier to prune (its first input the data, its first output the logits)')
    .description(
      'Prune the weights of Gemm/MatMul/Conv layers (never biases or normalization) to a sparsity, with a chosen importance and schedule; ' +
        'pruned weights are zeros in the written model. Reports per-layer sparsity, file size raw and gzipped, and test accuracy before and after. ' +
        'Fine-tuning keeps pruned weights at zero (the masks are inputs of the training graph); it uses SGD with momentum 0.9 at a constant --lr.',
    )
    .requiredOption('--out <file>', 'where to write the pruned ONNX model')
    .option('--method <name>', `importance: ${IMPORTANCE_METHODS.join(', ')} (han: |w| / std of its layer, Han et al. 2015; movement: -W * dL/dW summed over fine-tuning, Sanh et al. 2020; wanda: |W| * input-feature norm on --calibration-size training images, Sun et al. 2023)`, 'magnitude')
    .option('--sparsity <x>', 'fraction of the prunable weights to prune, in [0, 1) (default 0.5)')
    .option('--quality <q>', 'han only: prune |w| < q * std of its layer (Han et al.\'s quality parameter) instead of a target sparsity')
    .option('--scope <name>', `where scores compete: ${SCOPES.join(', ')} (default: the method's own: layer; han global; wanda row, within each output unit)`)
    .addOption(new Option('--pattern <name>', `unstructured, or 2:4 (2 of every 4 consecutive inputs of an output unit kept; layers whose input count is not a multiple of 4 stay dense)`).choices([...PATTERNS]).default('unstructured'))
    .option('--schedule <name>', `oneshot (prune, then fine-tune if --fine-tune-epochs), iterative (--rounds prune-and-retrain rounds), agp (Zhu & Gupta 2017 cubic ramp over the first 3/4 of fine-tuning, masks recomputed --rounds times), lottery (Frankle & Carbin 2019: train, prune by magnitude 20% per round (or in --rounds rounds), rewind survivors to the initial values, retrain)`, 'oneshot')
    .option('--rounds <n>', 'iterative: rounds (default 3); agp: mask updates (default 10); lottery: rounds to the target (default: 20% per round)')
    .option('--fine-tune-epochs <n>', 'epochs of masked training after each prune (iterative, oneshot), of the whole run (agp), of each round (lottery)', '0')
    .option('--data <name>', `training and test data: ${DATA_SOURCES.join(', ')}`, 'mnist')
    .option('--calibration-size <n>', 'wanda: training images whose activations are measured (seeded choice)', '128')
    .option('--batch-size <n>', 'fine-tuning batch size', '128')
    .option('--lr <x>', 'fine-tuning learning rate (SGD, momentum 0.9, constant)', '0.01')
    .option('--seed <n>', 'seed of the random importance, the calibration choice and the fine-tuning shuffles', '0')
    .option('--threads <n>', 'ORT intra-op threads, 0 to let ORT choose', '0')
    .option('--json', 'print the report as JSON (no tables, no progress)')
    .action(async (model: string, flags: PruneFlags) => runPrune(model, flags, process.argv));
}
