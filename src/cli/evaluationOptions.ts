/**
 * Command-line options shared by `retort eval` and `retort compare`: the data, bootstrap,
 * calibration, latency, attack and MAC-shape settings, parsed into the report's EvaluationSettings,
 * and the terminal tables both commands print.
 */
import os from 'node:os';
import { Option, type Command } from 'commander';
import { DATA_SOURCES } from '../data/sources.js';
import type { Attack } from '../eval/attacks.js';
import { defaultPgdStepSize, EVALUATION_DEFAULTS as DEFAULTS, formatDifference, HUFFMAN_LEGEND, type DataSelection, type EvaluationSettings } from '../report/index.js';
import type { ComparisonReport, Estimate, Fairness } from '../report/types.js';
import { parseInputShape } from './commands/inspect.js';
import { formatBytes, formatFields, formatMetric, formatTable, type Cell } from './format.js';
import { bad, choice, parseNumber } from './trainingOptions.js';

/** The flags as commander hands them over (defaults applied). */
export interface EvaluationFlags {
  data: string;
  limit?: string;
  batchSize: string;
  bootstrap: string;
  confidence: string;
  seed: string;
  bins: string;
  latencyBatch: string;
  latencyRuns: string;
  warmup: string;
  threads?: string;
  inputShape: string[];
  attack?: string;
  epsilon: string;
  pgdSteps: string;
  pgdStepSize?: string;
  json?: boolean;
}

const ATTACKS = ['fgsm', 'pgd'] as const;

/** `text`: the command also takes --data text:PATH (language models on the file's validation tokens). */
export function addEvaluationOptions(command: Command, accepts: { text?: boolean } = {}): Command {
  const data = `evaluation data (its test split): ${DATA_SOURCES.join(', ')}${accepts.text ? ', or text:PATH (language models, scored on the last --validation-fraction of the file)' : ''}`;
  return command
    .addOption(new Option('--data <name>', data).makeOptionMandatory())
    .option('--limit <n>', `score only the first n test samples (quick runs)${accepts.text ? '; text: the first n validation tokens' : ''}`)
    .option('--batch-size <n>', 'samples per ORT run when scoring the test set', String(DEFAULTS.batchSize))
    .option('--bootstrap <B>', 'percentile-bootstrap resamples for the confidence intervals of every metric; 0 for point estimates only', String(DEFAULTS.bootstrap))
    .option('--confidence <x>', 'two-sided confidence level of the intervals, in (0, 1)', String(DEFAULTS.confidence))
    .option('--seed <n>', 'seed of the bootstrap resamples (shared by every model, so intervals are comparable) and of the PGD random start', '0')
    .option('--bins <n>', 'equal-width confidence bins for ECE and the reliability diagram', String(DEFAULTS.calibrationBins))
    .option('--latency-batch <n>', 'batch size of the timed ORT runs (the first n test samples)', String(DEFAULTS.latency.batch))
    .option('--latency-runs <n>', 'timed ORT runs; p50 and p95 are taken over them', String(DEFAULTS.latency.runs))
    .option('--warmup <n>', 'untimed ORT runs before timing', String(DEFAULTS.latency.warmup))
    .option('--threads <n>', 'ORT intra-op threads for scoring and latency (default: the number of CPU cores)')
    .addOption(
      new Option('--input-shape <name=dims>', 'concrete input shape for counting MACs, e.g. input=1x784; repeat for several inputs (default: the first input at batch 1)')
        .argParser((value: string, previous: string[]) => [...previous, value])
        .default([], 'batch 1'),
    )
    .option('--attack <method>', `also report accuracy under a white-box L-infinity attack on each model's own gradients: ${ATTACKS.join(', ')}`)
    .option('--epsilon <x>', 'attack budget (L-infinity, input units; MNIST pixels are 0..1)', String(DEFAULTS.epsilon))
    .option('--pgd-steps <n>', 'PGD: signed-gradient steps', String(DEFAULTS.pgdSteps))
    .option('--pgd-step-size <x>', 'PGD: size of each step (default 2.5 * epsilon / steps, as Madry et al. 2018)')
    .option('--json', 'print the report data as one JSON object on stdout instead of tables');
}

function attackOf(flags: EvaluationFlags, seed: number): Attack | undefined {
  if (flags.attack === undefined) return undefined;
  const method = choice('--attack', flags.attack, ATTACKS);
  const epsilon = parseNumber('--epsilon', flags.epsilon, 'nonnegative');
  if (method === 'fgsm') return { method, epsilon };
  const steps = parseNumber('--pgd-steps', flags.pgdSteps, 'positive-int');
  const stepSize = flags.pgdStepSize === undefined ? defaultPgdStepSize(epsilon, steps) : parseNumber('--pgd-step-size', flags.pgdStepSize, 'positive');
  if (!(stepSize > 0)) throw bad('--attack pgd with --epsilon 0 needs an explicit --pgd-step-size > 0');
  return { method, epsilon, steps, stepSize, randomStart: { seed } };
}

export function dataSelection(flags: EvaluationFlags): DataSelection {
  const source = choice('--data', flags.data, DATA_SOURCES);
  return flags.limit === undefined ? { source } : { source, limit: parseNumber('--limit', flags.limit, 'positive-int') };
}

export function evaluationSettings(flags: EvaluationFlags): EvaluationSettings {
  const seed = parseNumber('--seed', flags.seed, 'nonnegative-int');
  const resamples = parseNumber('--bootstrap', flags.bootstrap, 'nonnegative-int');
  if (resamples === 1) throw bad('--bootstrap 1: give 0 (no intervals) or at least 2 resamples');
  const confidence = parseNumber('--confidence', flags.confidence, 'positive');
  if (confidence >= 1) throw bad(`--confidence "${flags.confidence}": expected a number in (0, 1)`);
  const threads = flags.threads === undefined ? os.availableParallelism() : parseNumber('--threads', flags.threads, 'positive-int');
  const inputShapes = flags.inputShape.length > 0 ? Object.fromEntries(flags.inputShape.map(parseInputShape)) : undefined;
  const attack = attackOf(flags, seed);
  return {
    bootstrap: { resamples, confidence, seed },
    batchSize: parseNumber('--batch-size', flags.batchSize, 'positive-int'),
    calibrationBins: parseNumber('--bins', flags.bins, 'positive-int'),
    latency: {
      batch: parseNumber('--latency-batch', flags.latencyBatch, 'positive-int'),
      runs: parseNumber('--latency-runs', flags.latencyRuns, 'positive-int'),
      warmup: parseNumber('--warmup', flags.warmup, 'nonnegative-int'),
      threads,
    },
    ...(inputShapes ? { inputShapes } : {}),
    ...(attack ? { attack } : {}),
  };
}

const percent = (e: Estimate): string =>
  `${(100 * e.value).toFixed(2)}%${e.interval ? ` [${(100 * e.interval.lower).toFixed(2)}, ${(100 * e.interval.upper).toFixed(2)}]` : ''}`;
const decimal = (e: Estimate): string => `${e.value.toFixed(4)}${e.interval ? ` [${e.interval.lower.toFixed(4)}, ${e.interval.upper.toFixed(4)}]` : ''}`;

/** Worst class as `class: accuracy`, then the best-minus-worst accuracy and ECE gaps over the classes. */
function fairnessCells(f: Fairness): Cell[] {
  return [`${f.worstClass.class}: ${(100 * f.worstClass.accuracy).toFixed(2)}%`, `${(100 * f.accuracyGap).toFixed(2)} pp`, f.eceGap.toFixed(4)];
}

/** One row per model: cost, then quality (with per-class fairness), then fidelity and robustness where measured. */
export function comparisonTable(report: ComparisonReport): string {
  const withFidelity = report.models.some((m) => m.fidelity);
  const withRobustness = report.models.some((m) => m.robustness);
  const headers = ['model', 'parameters', 'non-zero', 'size', 'gzip', 'huffman', 'MACs', 'p50 ms', 'p95 ms', 'samples/s', 'accuracy', 'NLL', 'ECE', 'worst class', 'acc gap', 'ECE gap'];
  const withDifference = report.models.some((m) => m.fidelity?.difference);
  if (withFidelity) headers.push('agreement', 'KL');
  if (withDifference) headers.push(`Δacc vs teacher [${Math.round(100 * report.settings.confidence)}% CI]`);
  if (withRobustness) headers.push('robust accuracy');
  const rows = report.models.map((m) => {
    const row: Cell[] = [
      m.name, m.parameters, m.nonZeroParameters, formatBytes(m.bytes.raw), formatBytes(m.bytes.gzip), m.bytes.huffman === undefined ? '-' : formatBytes(m.bytes.huffman),
      formatMetric(m.macs.total), m.latency.p50Ms.toFixed(3), m.latency.p95Ms.toFixed(3), Math.round(m.latency.throughput),
      percent(m.metrics.accuracy), decimal(m.metrics.nll), decimal(m.metrics.ece), ...fairnessCells(m.metrics.fairness),
    ];
    if (withFidelity) row.push(m.fidelity ? percent(m.fidelity.agreement) : '-', m.fidelity ? decimal(m.fidelity.kl) : '-');
    if (withDifference) row.push(m.fidelity?.difference ? formatDifference(m.fidelity.difference.accuracy, 'points') : '-');
    if (withRobustness) row.push(m.robustness ? percent(m.robustness.accuracy) : '-');
    return row;
  });
  return formatTable(headers, rows);
}

/** What the numbers depend on, stated under the table. */
export function settingsFields(report: ComparisonReport): string {
  const m = report.models[0];
  const s = report.settings;
  const fields: [string, string][] = [
    ['data', `${report.data.name} ${report.data.split}, ${report.data.samples} samples`],
    ['intervals', s.bootstrap > 0 ? `${Math.round(100 * s.confidence)}% percentile bootstrap, ${s.bootstrap} resamples, seed ${s.seed}` : 'none (--bootstrap 0)'],
    ['calibration', `${s.calibrationBins} equal-width bins`],
    ['fairness', 'per true class: worst-class accuracy, best-minus-worst accuracy (pp) and top-label ECE'],
  ];
  if (report.models.some((model) => model.bytes.huffman !== undefined)) {
    fields.push(['huffman', `${HUFFMAN_LEGEND}; "-": float weights with many distinct values`]);
  }
  if (m) {
    fields.push(['latency', `ORT ${m.latency.provider}, ${m.latency.threads} threads, batch ${m.latency.batch}: p50/p95 of ${m.latency.runs} runs after ${m.latency.warmup} warm-up`]);
    fields.push(['MACs for', Object.entries(m.macs.inputShapes).map(([n, d]) => `${n}=${d.join('x')}`).join(' ')]);
    if (m.robustness) fields.push(['attack', `${m.robustness.description}, white-box on each model's own gradients`]);
  }
  if (report.teacher) fields.push(['fidelity', `against ${report.teacher}`]);
  if (report.models.some((model) => model.fidelity?.difference)) {
    fields.push([
      'Δacc',
      `accuracy of each model minus ${report.teacher ?? 'the teacher'} (pp), paired bootstrap: both scored on the same resampled samples; ` +
        'an interval that excludes 0 is a difference significant at that level (--json: NLL difference and interval coverage/overlap too)',
    ]);
  }
  return formatFields(fields);
}
