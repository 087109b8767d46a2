/**
 * `retort quantize MODEL --out FILE --method static|dynamic|weight-only|fp16`: post-training
 * quantization, reporting size (raw, gzip), test accuracy and ORT latency before and after, with a
 * WARNING line when the quantized model is slower than the float one. `--preset transformersjs`
 * writes the dtype variants transformers.js loads by name, and manifest.json, into the --out folder.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { sliceDataset, subset, type Dataset } from '../../data/dataset.js';
import { DATA_SOURCES } from '../../data/sources.js';
import { batchFeeds } from '../../eval/cost/index.js';
import { Graph } from '../../onnx/graph.js';
import { encodeModel, loadModel } from '../../onnx/model.js';
import type { ModelProto } from '../../onnx/proto.js';
import { CALIBRATION_BATCH_SIZE, CALIBRATORS, modelCalibrationReader, quantizeModel, QUANTIZE_METHODS, writeTransformersJsVariants, type TransformersJsManifest } from '../../quantize/index.js';
import type { Feeds } from '../../runtime/session.js';
import { floatTensor } from '../../runtime/tensors.js';
import { writeFileAtomic } from '../../util/atomicWrite.js';
import { loadDataFor } from '../compressionData.js';
import { formatBytes, formatFields, formatTable } from '../format.js';
import { parseInteger, parseLatencyBatches, quantizeOptionsFromFlags, type QuantizeFlags } from '../quantizeOptions.js';
import { measureModel, slowdowns, slowdownWarning, type ModelMeasurement } from '../quantizeReport.js';
import { bad, choice, parseNumber } from '../trainingOptions.js';

const PRESETS = ['transformersjs'] as const;

const inputNameOf = (model: ModelProto): string => new Graph(model.graph!).dataInputs[0]!.name;

function datasetFeeds(model: ModelProto, data: Dataset): Feeds {
  return { [inputNameOf(model)]: floatTensor(Float32Array.from(data.inputs), [data.length, ...data.inputDims]) };
}

interface Loaded {
  calibration: Dataset | null;
  test: Dataset | null;
}

function loadData(model: ModelProto, flags: QuantizeFlags): Loaded {
  const calibrationSize = parseInteger('--calibration-size', flags.calibrationSize);
  const limit = flags.limit === undefined ? undefined : parseInteger('--limit', flags.limit);
  const names = [flags.calibrationData, flags.data].filter((n): n is string => n !== undefined);
  for (const n of names) choice(n === flags.data ? '--data' : '--calibration-data', n, DATA_SOURCES);
  const cache = new Map(names.map((n) => [n, loadDataFor(n, model)]));
  const calibration = flags.calibrationData ? subset(cache.get(flags.calibrationData)!.train, calibrationSize) : null;
  const fullTest = flags.data ? cache.get(flags.data)!.test : null;
  const test = fullTest && limit !== undefined ? sliceDataset(fullTest, 0, Math.min(limit, fullTest.length)) : fullTest;
  return { calibration, test };
}

async function runPreset(modelPath: string, flags: QuantizeFlags): Promise<void> {
  choice('--preset', flags.preset!, PRESETS);
  if (flags.method !== undefined) throw bad('--preset transformersjs writes every dtype variant; leave out --method');
  const threads = parseNumber('--threads', flags.threads, 'nonnegative-int');
  const model = loadModel(resolve(modelPath));
  const { calibration, test } = loadData(model, flags);
  const batch = calibration ?? test;
  const agreementFeeds = batch ? datasetFeeds(model, batch) : batchFeeds(model, CALIBRATION_BATCH_SIZE);
  const agreementBatch = batch ? `${batch.length} samples of ${batch.name}` : `${CALIBRATION_BATCH_SIZE} seeded uniform [0, 1) random inputs (no --calibration-data or --data)`;
  const outDir = resolve(flags.out);
  mkdirSync(outDir, { recursive: true });
  const manifest = await writeTransformersJsVariants(model, { outDir, agreementFeeds, agreementBatch, threads });
  if (flags.json) {
    process.stdout.write(JSON.stringify({ model: resolve(modelPath), out: outDir, ...manifest }, null, 2) + '\n');
    return;
  }
  printManifest(manifest);
}

function printManifest(manifest: TransformersJsManifest): void {
  const rows = manifest.variants.map((v) =>
    v.status === 'written'
      ? [v.dtype, v.file, formatBytes(v.bytes), formatBytes(v.gzipBytes), v.agreement.cosineSimilarity.toFixed(6), `${(100 * v.agreement.topOneAgreement).toFixed(2)}%`]
      : [v.dtype, v.file, 'skipped', '', '', v.reason],
  );
  process.stdout.write(formatTable(['dtype', 'file', 'size', 'gzip', 'cosine', 'top-1 agreement'], rows) + '\n');
  process.stdout.write(formatFields([['float model', `${formatBytes(manifest.float.bytes)} (gzip ${formatBytes(manifest.float.gzipBytes)})`], ['agreement on', manifest.agreementBatch]]) + '\n');
}

async function runQuantize(modelPath: string, flags: QuantizeFlags, argv: readonly string[]): Promise<void> {
  if (flags.preset !== undefined) return runPreset(modelPath, flags);
  const { options, needsCalibration } = quantizeOptionsFromFlags(flags);
  const latencyBatches = parseLatencyBatches(flags.latencyBatches);
  const threads = parseNumber('--threads', flags.threads, 'nonnegative-int');
  const runs = parseInteger('--latency-runs', flags.latencyRuns);
  const warmup = parseNumber('--warmup', flags.warmup, 'nonnegative-int');
  const model = loadModel(resolve(modelPath));
  const { calibration, test } = loadData(model, flags);
  const reader = needsCalibration && calibration ? modelCalibrationReader(model, calibration, { size: calibration.length, batchSize: CALIBRATION_BATCH_SIZE }) : undefined;

  const quantized = await quantizeModel(model, options, reader);
  const bytes = encodeModel(quantized);
  writeFileAtomic(resolve(flags.out), bytes);
  const settings = { test, latencyBatches, threads, runs, warmup };
  const before = await measureModel(model, encodeModel(model), 'float model', settings);
  const after = await measureModel(quantized, bytes, 'quantized model', settings);
  const slower = slowdowns(before.latency, after.latency);
  const warning = slowdownWarning(slower);
  if (flags.json) {
    const report = { model: resolve(modelPath), out: resolve(flags.out), method: options.method, options, calibrationSamples: reader ? calibration!.length : 0, testSamples: test?.length ?? 0, before, after, slowdowns: slower, warning, command: argv.slice(2) };
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    printReport(before, after);
  }
  if (warning) process.stderr.write(`${warning}\n`);
}

function printReport(before: ModelMeasurement, after: ModelMeasurement): void {
  const pct = (x: number | null): string => (x === null ? 'n/a (no --data)' : `${(100 * x).toFixed(2)}%`);
  const fields: [string, string][] = [
    ['size', `${formatBytes(before.bytes)} -> ${formatBytes(after.bytes)} (raw, ${(before.bytes / after.bytes).toFixed(2)}x smaller)`],
    ['gzip', `${formatBytes(before.gzipBytes)} -> ${formatBytes(after.gzipBytes)}`],
    ['test accuracy', `${pct(before.accuracy)} -> ${pct(after.accuracy)}`],
  ];
  process.stdout.write(formatFields(fields) + '\n');
  const rows = before.latency.map((f, i) => {
    const q = after.latency[i]!;
    return [f.batch, f.provider, f.p50Ms.toFixed(3), q.p50Ms.toFixed(3), `${(f.p50Ms / q.p50Ms).toFixed(2)}x`];
  });
  process.stdout.write(formatTable(['batch', 'provider', 'float p50 ms', 'quantized p50 ms', 'speed-up'], rows) + '\n');
}

export function registerQuantize(program: Command): void {
  program
    .command('quantize')
    .argument('<model>', 'ONNX model to quantize (for --data, a classifier: first input the data, first output the logits)')
    .description(
      'Post-training quantization. static: QDQ int8 weights and uint8/int8 activations from calibration ranges; dynamic: int8 weights, activations ' +
        'quantized at run time (MatMul/Gemm as com.microsoft.DynamicQuantizeMatMul); weight-only: com.microsoft.MatMulNBits 4/8-bit blocks, optionally GPTQ; ' +
        'fp16: float16 weights and compute, float32 inputs/outputs. Reports size raw and gzipped, test accuracy (with --data) and ORT p50 latency before ' +
        'and after, and prints a WARNING line (stderr) when the quantized model is slower than the float model at any measured batch size. ' +
        '--preset transformersjs writes model_fp16/quantized/int8/uint8/q4/q4f16.onnx and manifest.json into the --out folder.',
    )
    .requiredOption('--out <path>', 'where to write the quantized ONNX model (with --preset: a folder)')
    .option('--method <name>', `${QUANTIZE_METHODS.join(', ')}`)
    .option('--preset <name>', `${PRESETS.join(', ')}: every dtype variant transformers.js loads by name, with manifest.json (sizes, cosine and top-1 agreement with the float model)`)
    .option('--bits <n>', 'weight-only: bits per weight, 4 or 8 (default 4)')
    .option('--block-size <n>', 'weight-only: weights per scale along K, 32, 64 or 128 (default 32)')
    .option('--symmetric', 'weights symmetric around zero (the default)')
    .option('--asymmetric', 'weights with a zero point (static, dynamic, weight-only)')
    .option('--per-channel', 'static, dynamic: one weight scale per output channel (the default)')
    .option('--per-tensor', 'static, dynamic: one weight scale per tensor')
    .option('--activation-type <type>', 'static: uint8 (asymmetric, default) or int8 (symmetric) activations')
    .option('--calibrator <name>', `static: activation ranges by ${CALIBRATORS.join(', ')} (default minmax)`)
    .option('--percentile <p>', 'static with --calibrator percentile: the percentile of |x| kept (default 99.99)')
    .option('--calibration-data <name>', `static, --gptq (and the preset's agreement batch): the first --calibration-size training samples of ${DATA_SOURCES.join(', ')}`)
    .option('--calibration-size <n>', 'calibration samples', '512')
    .option('--exclude-op-types <list>', 'op types left in float, comma-separated (e.g. Conv,Gemm)')
    .option('--exclude-nodes <list>', 'node names left in float, comma-separated')
    .option('--gptq', 'weight-only: GPTQ error compensation (Frantar et al. 2023, damping 0.01) instead of round-to-nearest; needs --calibration-data')
    .option('--data <name>', `evaluate test accuracy before and after on this data's test split: ${DATA_SOURCES.join(', ')}`)
    .option('--limit <n>', 'with --data: only the first N test samples')
    .option('--latency-batches <list>', 'batch sizes whose ORT latency is measured, comma-separated', '1,64')
    .option('--latency-runs <n>', 'timed runs per batch size (p50 reported)', '20')
    .option('--warmup <n>', 'untimed runs before timing', '3')
    .option('--threads <n>', 'ORT intra-op threads, 0 to let ORT choose', '0')
    .option('--json', 'print the report as JSON')
    .action(async (model: string, flags: QuantizeFlags) => runQuantize(model, flags, process.argv));
}
