/**
 * Generation speed (`npm run bench:generate`): tokens/s of seeded sampling from a GPT
 * (gpt:layers=4,dim=192,heads=6,context=128, random initialization: speed does not depend on the
 * weights) with the KV-cached decode step and with the cache-free window, interleaved round by round
 * in one process so both see the same machine load, and a check that both give the same tokens —
 * for the float model and for its 4-bit weight-only form (MatMulNBits, round-to-nearest, block 32, as
 * transformers.js `q4` models are stored), whose decode step keeps the MatMulNBits nodes.
 * Default: 64 rows × 127 new tokens from 1-token prompts (the window never slides: it is the part
 * the cache speeds up), 3 rounds of each.
 *
 * Flags: --rows N --tokens N --rounds N --threads N (0: ORT decides) --batch N (rows per ORT call; default all).
 */
import os from 'node:os';
import { withContextMetadata } from '../src/data/text/forLanguageModel.js';
import { buildArchitecture } from '../src/models/spec.js';
import { sampleContinuations, type ContinuationOptions } from '../src/models/sampling.js';
import { quantizeWeightOnly } from '../src/quantize/weightOnly.js';
import { runtimeVersion } from '../src/runtime/session.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const ARCH = 'gpt:layers=4,dim=192,heads=6,context=128,vocab=65';
const CONTEXT = 128;
const rows = Number(flag('rows', '64'));
const newTokens = Number(flag('tokens', '127'));
const rounds = Number(flag('rounds', '3'));
const threads = Number(flag('threads', '0'));
const batchSize = Number(flag('batch', String(rows)));

const float = withContextMetadata(buildArchitecture(ARCH, { seed: 0 }), CONTEXT);
const q4 = (await quantizeWeightOnly(float, { method: 'weight-only', bits: 4, blockSize: 32, symmetric: true, algorithm: { kind: 'rtn' } })).model;
const models = [
  { name: 'float32', model: float },
  { name: '4-bit weight-only (MatMulNBits, block 32)', model: q4 },
];
const prompts = Int32Array.from({ length: rows }, (_, r) => r % 65);
const options: ContinuationOptions = { temperature: 0.8, topK: 40, newTokens, seed: 1, batchSize, threads };
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const WAYS = ['cached', 'windowed'] as const;
const seconds = models.map(() => ({ cached: [] as number[], windowed: [] as number[] }));
const references: (Int32Array | null)[] = models.map(() => null);
const mismatches = models.map(() => 0);
for (let round = 0; round < rounds; round++) {
  for (const [m, { name, model }] of models.entries()) {
    for (const way of WAYS) {
      const started = performance.now();
      const tokens = await sampleContinuations(model, prompts, 1, { ...options, cache: way === 'cached' });
      seconds[m]![way].push((performance.now() - started) / 1000);
      const reference = (references[m] ??= tokens);
      if (tokens.some((t, i) => t !== reference[i])) mismatches[m]!++;
      process.stderr.write(`round ${round + 1}/${rounds} ${name} ${way}: ${seconds[m]![way].at(-1)!.toFixed(2)} s\n`);
    }
  }
}

const generated = rows * newTokens;
const rate = (m: number, way: (typeof WAYS)[number]): number => generated / median(seconds[m]![way]);
const cpu = os.cpus();
console.log(`Generation: ${ARCH}, ${rows} rows × ${newTokens} new tokens from 1-token prompts (window ${CONTEXT}), ${batchSize} rows per ORT call, temperature 0.8, top-k 40, seed 1; ${rounds} rounds each, interleaved; median per way.`);
console.log(`Machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown'}), load average ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')}, Node ${process.version}, onnxruntime-node ${runtimeVersion()} CPU, ORT threads ${threads || 'ORT default'}.`);
console.log('');
console.log('| weights | decoding | seconds (median) | tokens/s |');
console.log('|---|---|---|---|');
for (const [m, { name }] of models.entries()) {
  console.log(`| ${name} | KV cache | ${median(seconds[m]!.cached).toFixed(2)} | ${Math.round(rate(m, 'cached'))} |`);
  console.log(`| ${name} | no KV cache (window re-run per token) | ${median(seconds[m]!.windowed).toFixed(2)} | ${Math.round(rate(m, 'windowed'))} |`);
}
console.log('');
for (const [m, { name }] of models.entries()) {
  console.log(`${name}: speed-up ${(rate(m, 'cached') / rate(m, 'windowed')).toFixed(1)}×; tokens identical in all ${2 * rounds} runs: ${mismatches[m] === 0 ? 'yes' : `NO (${mismatches[m]} runs differ)`}.`);
}
