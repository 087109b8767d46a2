/**
 * Generation speed (`npm run bench:generate`): tokens/s of seeded sampling from a GPT
 * (gpt:layers=4,dim=192,heads=6,context=128, random initialization: speed does not depend on the
 * weights) with the KV-cached decode step and with the cache-free window, interleaved round by round
 * in one process so both see the same machine load, and a check that both give the same tokens.
 * Default: 64 rows × 127 new tokens from 1-token prompts (the window never slides: it is the part
 * the cache speeds up), 3 rounds of each.
 *
 * Flags: --rows N --tokens N --rounds N --threads N (0: ORT decides) --batch N (rows per ORT call; default all).
 */
import os from 'node:os';
import { withContextMetadata } from '../src/data/text/forLanguageModel.js';
import { buildArchitecture } from '../src/models/spec.js';
import { sampleContinuations, type ContinuationOptions } from '../src/models/sampling.js';
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

const model = withContextMetadata(buildArchitecture(ARCH, { seed: 0 }), CONTEXT);
const prompts = Int32Array.from({ length: rows }, (_, r) => r % 65);
const options: ContinuationOptions = { temperature: 0.8, topK: 40, newTokens, seed: 1, batchSize, threads };
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const seconds = { cached: [] as number[], windowed: [] as number[] };
let reference: Int32Array | null = null;
let mismatches = 0;
for (let round = 0; round < rounds; round++) {
  for (const way of ['cached', 'windowed'] as const) {
    const started = performance.now();
    const tokens = await sampleContinuations(model, prompts, 1, { ...options, cache: way === 'cached' });
    seconds[way].push((performance.now() - started) / 1000);
    reference ??= tokens;
    if (tokens.some((t, i) => t !== reference![i])) mismatches++;
    process.stderr.write(`round ${round + 1}/${rounds} ${way}: ${seconds[way].at(-1)!.toFixed(2)} s\n`);
  }
}

const generated = rows * newTokens;
const rate = (way: 'cached' | 'windowed'): number => generated / median(seconds[way]);
const cpu = os.cpus();
console.log(`Generation: ${ARCH}, ${rows} rows × ${newTokens} new tokens from 1-token prompts (window ${CONTEXT}), ${batchSize} rows per ORT call, temperature 0.8, top-k 40, seed 1; ${rounds} rounds each, interleaved; median per way.`);
console.log(`Machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown'}), load average ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')}, Node ${process.version}, onnxruntime-node ${runtimeVersion()} CPU, ORT threads ${threads || 'ORT default'}.`);
console.log('');
console.log('| decoding | seconds (median) | tokens/s |');
console.log('|---|---|---|');
console.log(`| KV cache | ${median(seconds.cached).toFixed(2)} | ${Math.round(rate('cached'))} |`);
console.log(`| no KV cache (window re-run per token) | ${median(seconds.windowed).toFixed(2)} | ${Math.round(rate('windowed'))} |`);
console.log('');
console.log(`Speed-up ${(rate('cached') / rate('windowed')).toFixed(1)}×; tokens identical in all ${2 * rounds} runs: ${mismatches === 0 ? 'yes' : `NO (${mismatches} runs differ)`}.`);
if (mismatches > 0) process.exitCode = 1;
