/**
 * `retort prune MODEL --out FILE`: unstructured or 2:4 pruning with a chosen importance (magnitude,
 * Han et al.'s std threshold, movement, Wanda, random) and schedule (one-shot, iterative, AGP, lottery
 * ticket), reporting per-layer sparsity, file size (raw and gzip) and test accuracy before and after.
 */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { Dataset } from '../../data/dataset.js';
import { modelInputDims } from '../../data/forModel.js';
import { DATA_SOURCES, loadDataSource } from '../../data/sources.js';
import { summarizeModel } from '../../eval/modelSummary.js';
import { encodeModel, loadModel, saveModel } from '../../onnx/model.js';
import type { ModelProto } from '../../onnx/proto.js';
import { IMPORTANCE_METHODS, importanceScorer, type PruningScope } from '../../prune/importance/index.js';
import {
  calibrationSample, planWandaCalibration, PRUNING_SCHEDULES, pruningPlanProblems, runPruning, type PlanProblem, type PruningPattern, type PruningPlan, type PruningSchedule,
  type PruningScheduleKind, type PruningTarget,
} from '../../prune/plan.js';
import { layerOutputErrors, type LayerOutputError } from '../../prune/layerError.js';
import { sparsityReport, type SparsityReport } from '../../prune/sparsity.js';
import { WANDA_CALIBRATIONS } from '../../prune/evidence.js';
import { fineTuneConfig } from '../compressionData.js';
import { formatBytes, formatFields, formatTable } from '../format.js';
import { bad, choice, parseNumber } from '../trainingOptions.js';
import { LAYER_SPARSITY_HELP, parseLayerSparsity } from '../layerSparsity.js';

const PATTERNS = ['unstructured', '2:4'] as const;
const SCOPES: readonly PruningScope[] = ['layer', 'global', 'row'];

interface PruneFlags {
  out: string;
  method: string;
  sparsity?: string;
  layerSparsity?: string;
  quality?: string;
  scope?: string;
  pattern: string;
  schedule: string;
  rounds?: string;
  fineTuneEpochs: string;
  data: string;
  calibrationSize: string;
  calibration?: string;
  batchSize: string;
  lr: string;
  seed: string;
  threads: string;
  layerError?: boolean;
  json?: boolean;
}

interface ModelSummary {
  bytes: number;
  gzipBytes: number;
  testAccuracy: number;
  testLoss: number;
}

async function summarize(model: ModelProto, test: Dataset, threads: number): Promise<ModelSummary> {
  const summary = await summarizeModel(encodeModel(model), { test, threads, macs: false });
  return { bytes: summary.fileBytes, gzipBytes: summary.gzipBytes, testAccuracy: summary.test!.accuracy, testLoss: summary.test!.loss };
}

/** Which flag names each field of a pruning plan, for the problems `pruningPlanProblems` finds. */
const PLAN_FLAGS: Record<PlanProblem['field'], string> = {
  importance: '--method', target: '--sparsity/--quality', perLayer: '--layer-sparsity', pattern: '--pattern', schedule: '--schedule', training: '--fine-tune-epochs', calibration: '--calibration',
};

function pruningSchedule(kind: PruningScheduleKind, rounds: number | undefined): PruningSchedule {
  switch (kind) {
    case 'oneshot': return { kind };
    case 'iterative': return { kind, rounds: rounds ?? 3 };
    case 'agp': return { kind, updates: rounds ?? 10 };
    case 'lottery': return { kind, rounds };
  }
}

async function runPrune(modelPath: string, flags: PruneFlags, argv: readonly string[]): Promise<void> {
  const method = choice('--method', flags.method, IMPORTANCE_METHODS);
  const schedule = pruningSchedule(choice('--schedule', flags.schedule, PRUNING_SCHEDULES), flags.rounds === undefined ? undefined : parseNumber('--rounds', flags.rounds, 'positive-int'));
  const patternName = choice('--pattern', flags.pattern, PATTERNS);
  const scope = flags.scope === undefined ? importanceScorer(method).defaultScope : choice('--scope', flags.scope, SCOPES);
  const epochs = parseNumber('--fine-tune-epochs', flags.fineTuneEpochs, 'nonnegative-int');
  const seed = parseNumber('--seed', flags.seed, 'nonnegative-int');
  const threads = parseNumber('--threads', flags.threads, 'nonnegative-int');
  const batchSize = parseNumber('--batch-size', flags.batchSize, 'positive-int');
  const lr = parseNumber('--lr', flags.lr, 'positive');
  const calibrationSize = parseNumber('--calibration-size', flags.calibrationSize, 'positive-int');
  const dataName = choice('--data', flags.data, DATA_SOURCES);
  const calibration = flags.calibration === undefined ? undefined : choice('--calibration', flags.calibration, WANDA_CALIBRATIONS);
  if (flags.quality !== undefined && flags.sparsity !== undefined) throw bad('Give --sparsity or --quality, not both');
  if (flags.quality !== undefined && flags.layerSparsity !== undefined) throw bad('Give --layer-sparsity or --quality, not both');
  const perLayer = flags.layerSparsity === undefined ? undefined : parseLayerSparsity(flags.layerSparsity);
  // With per-layer sparsities, layers not named stay dense unless --sparsity is given.
  const sparsity = flags.sparsity === undefined ? (perLayer ? 0 : 0.5) : parseNumber('--sparsity', flags.sparsity, 'nonnegative');
  const target: PruningTarget = flags.quality !== undefined ? { quality: parseNumber('--quality', flags.quality, 'nonnegative') } : { sparsity, ...(perLayer ? { perLayer } : {}) };
  const pattern: PruningPattern = patternName === '2:4' ? { kind: 'n:m', n: 2, m: 4 } : { kind: 'unstructured' };
  const problems = pruningPlanProblems({ importance: method, target, pattern, schedule, scope, calibration, trains: epochs > 0, hasCalibrationSet: true });
  if (problems.length > 0) throw bad(problems.map((p) => `${PLAN_FLAGS[p.field]}: ${p.message}`).join('\n'));

  const model = loadModel(resolve(modelPath));
  const sources = loadDataSource(dataName, { inputDims: modelInputDims(model) });
  const config = fineTuneConfig({ epochs: Math.max(1, epochs), lr, batchSize, seed, threads, silent: Boolean(flags.json) });
  const plan: PruningPlan = {
    importance: method, scope, target, pattern, schedule, seed, threads, calibration,
    training: epochs > 0 ? { config, data: { train: sources.train } } : undefined,
    calibrationSet: method === 'wanda' ? calibrationSample(sources.train, calibrationSize, seed) : undefined,
  };
  const before = await summarize(model, sources.test, threads);
  const { model: pruned, skipped } = await runPruning(model, plan);
  saveModel(pruned, resolve(flags.out));
  const after = await summarize(pruned, sources.test, threads);
  const report = sparsityReport(pruned);
  // Without fine-tuning the other weights are the model's own, so the error is the prune's alone.
  const layerErrors = flags.layerError ? await layerOutputErrors(model, pruned, sources.test, { threads }) : undefined;
  const quality = 'quality' in target ? target.quality : null;
  const summary = {
    model: resolve(modelPath), out: resolve(flags.out), method, schedule: schedule.kind, pattern: patternName, scope, calibration: planWandaCalibration(plan),
    sparsity: 'sparsity' in target ? target.sparsity : null, layerSparsity: perLayer ?? null, quality, fineTuneEpochs: epochs, seed, before, after, sparsityReport: report, skipped,
    ...(layerErrors ? { layerOutputErrors: layerErrors } : {}),
  };
  if (flags.json) {
    process.stdout.write(JSON.stringify({ ...summary, command: argv.slice(2) }, null, 2) + '\n');
    return;
  }
  printReport(report, before, after, skipped);
  if (layerErrors) printLayerErrors(layerErrors, epochs > 0);
}

function printLayerErrors(errors: readonly LayerOutputError[], fineTuned: boolean): void {
  const e = (x: number) => x.toExponential(2);
  const rows = errors.map((l) => [l.layer, e(l.pooled), e(l.median), e(l.p99), e(l.p999), e(l.max)]);
  const what = `Layer output error on the ${errors[0]?.samples ?? 0} test samples, ||y - y'||^2 / ||y||^2 with the dense model's inputs to each layer${fineTuned ? ' (after fine-tuning: it includes what training changed)' : ''}:`;
  process.stdout.write(`\n${what}\n` + formatTable(['layer', 'pooled', 'median', 'p99', 'p99.9', 'max'], rows) + '\n');
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
    .option('--layer-sparsity <list>', `${LAYER_SPARSITY_HELP}; they override --sparsity for those layers, the others take --sparsity (default 0 with this flag); oneshot schedule, layer or row scope`)
    .option('--quality <q>', 'han only: prune |w| < q * std of its layer (Han et al.\'s quality parameter) instead of a target sparsity')
    .option('--scope <name>', `where scores compete: ${SCOPES.join(', ')} (default: the method's own: layer; han global; wanda row, within each output unit)`)
    .addOption(new Option('--pattern <name>', `unstructured, or 2:4 (2 of every 4 consecutive inputs of an output unit kept; layers whose input count is not a multiple of 4 stay dense)`).choices([...PATTERNS]).default('unstructured'))
    .option('--schedule <name>', `oneshot (prune, then fine-tune if --fine-tune-epochs), iterative (--rounds prune-and-retrain rounds), agp (Zhu & Gupta 2017 cubic ramp over the first 3/4 of fine-tuning, masks recomputed --rounds times), lottery (Frankle & Carbin 2019: train, prune by magnitude 20% per round (or in --rounds rounds), rewind survivors to the initial values, retrain)`, 'oneshot')
    .option('--rounds <n>', 'iterative: rounds (default 3); agp: mask updates (default 10); lottery: rounds to the target (default: 20% per round)')
    .option('--fine-tune-epochs <n>', 'epochs of masked training after each prune (iterative, oneshot), of the whole run (agp), of each round (lottery)', '0')
    .option('--data <name>', `training and test data: ${DATA_SOURCES.join(', ')}`, 'mnist')
    .option('--calibration-size <n>', 'wanda: training images whose activations are measured (seeded choice)', '128')
    .option(
      '--calibration <order>',
      `wanda: ${WANDA_CALIBRATIONS.join(' or ')}; sequential measures each layer's inputs on the model with the layers before it already pruned, as Wanda's reference code does (one calibration pass per layer depth); one-pass measures every layer on the dense model (default: sequential for a oneshot prune by layer or row, one-pass otherwise)`,
    )
    .option('--batch-size <n>', 'fine-tuning batch size', '128')
    .option('--lr <x>', 'fine-tuning learning rate (SGD, momentum 0.9, constant)', '0.01')
    .option('--seed <n>', 'seed of the random importance, the calibration choice and the fine-tuning shuffles', '0')
    .option('--threads <n>', 'ORT intra-op threads, 0 to let ORT choose', '0')
    .option('--layer-error', "also measure each pruned layer's output error on the test set, ||y - y'||^2 / ||y||^2 with the dense model's inputs to the layer (pooled, median and tail: what Wanda minimizes on average, and where a classifier's errors come from)")
    .option('--json', 'print the report as JSON (no tables, no progress)')
    .action(async (model: string, flags: PruneFlags) => runPrune(model, flags, process.argv));
}
