/**
 * ORT latency of quantized models (`npm run bench:quant`): float vs static int8 QDQ vs dynamic int8 vs
 * 4-bit weight-only (MatMulNBits), on an MLP 784-2048-2048-10 and a wide ResNet (resnet:64,128 on
 * 1x28x28), at batch 1 and 64, in one process: p50 of --runs timed runs after --warmup untimed ones.
 * Seeded random weights (latency does not depend on training); static calibration on 128 seeded
 * random inputs. Flags: --runs N (default 30) --warmup N (default 5) --threads N (default 0: ORT's).
 * The load average is printed because the machine may be shared: only ratios within a row mean much.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { batchFeeds, measureModelLatency } from '../src/eval/cost/index.js';
import { buildMlp } from '../src/models/mlp.js';
import { buildResNet } from '../src/models/resnet.js';
import { encodeModel } from '../src/onnx/model.js';
import type { ModelProto } from '../src/onnx/proto.js';
import { arrayCalibrationReader, quantizeModel } from '../src/quantize/index.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const runs = Number(flag('runs', '30'));
const warmup = Number(flag('warmup', '5'));
const threads = Number(flag('threads', '0'));
const batches = [1, 64];

const uptime = (): string => {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}`;
  }
};

async function variants(model: ModelProto): Promise<[string, ModelProto][]> {
  // Two seeded random calibration batches of 64: ranges only matter for accuracy, not for speed.
  const reader = arrayCalibrationReader([batchFeeds(model, 64, 1), batchFeeds(model, 64, 2)]);
  return [
    ['float', model],
    ['static int8', await quantizeModel(model, { method: 'static', activations: { type: 'uint8', symmetric: false }, weights: { symmetric: true, granularity: 'per-channel' }, calibrator: { method: 'minmax' }, bias: 'int32' }, reader)],
    ['dynamic int8', await quantizeModel(model, { method: 'dynamic', weights: { symmetric: true, granularity: 'per-channel' }, conv: { weightType: 'uint8' } })],
    ['4-bit weight-only', await quantizeModel(model, { method: 'weight-only', bits: 4, blockSize: 32, symmetric: true, algorithm: { kind: 'rtn' } })],
  ];
}

const models: [string, ModelProto][] = [
  ['MLP 784-2048-2048-10', buildMlp({ hidden: [2048, 2048], seed: 0 })],
  ['ResNet resnet:64,128 1x28x28', buildResNet({ widths: [64, 128], seed: 0 })],
];

console.log(`bench:quant  runs ${runs} after ${warmup} warm-up, threads ${threads || 'ORT default'}, ${os.cpus().length} cores`);
console.log(`before: ${uptime()}`);
const lines: string[] = ['| model | batch | float p50 ms | static int8 | dynamic int8 | 4-bit weight-only |', '|---|---:|---:|---:|---:|---:|'];
for (const [name, model] of models) {
  const forms = await variants(model);
  for (const batch of batches) {
    const feeds = batchFeeds(model, batch, 7);
    const p50: number[] = [];
    for (const [label, m] of forms) {
      p50.push((await measureModelLatency(m, encodeModel(m), { batch, threads, runs, warmup, feeds, name: `${name} ${label}` })).p50Ms);
    }
    const [float, ...rest] = p50 as [number, ...number[]];
    // Each quantized cell: p50 ms and float/quantized (above 1: faster than float).
    lines.push(`| ${name} | ${batch} | ${float.toFixed(3)} | ${rest.map((q) => `${q.toFixed(3)} (${(float / q).toFixed(2)}x)`).join(' | ')} |`);
    console.log(lines.at(-1));
  }
}
console.log(`after: ${uptime()}`);
console.log('\ncells: p50 ms (speed-up over float; below 1x = slower than float)\n');
console.log(lines.join('\n'));
