/**
 * Pruning on LeNet-300-100 (`npm run bench:prune`), for each seed:
 *
 * 1. Lottery tickets, after Frankle & Carbin 2019, Figure 3: test accuracy of winning tickets
 *    (iterative magnitude pruning, 20% of the remaining weights of each layer per round, survivors
 *    reset to their initial values, retrained) against the same masks on a random reinitialization
 *    (each layer's initial values shuffled, seeded), at sparsities 0/50/80/90/95%.
 * 2. Wanda vs magnitude without retraining (Sun et al. 2023, Table 2's setting on an MLP): the dense
 *    model of round 0 pruned one-shot to 50/70/90% by magnitude (per layer and per output row) and by
 *    Wanda (per output row, activation norms of 128 seeded training images), test errors as pruned.
 *
 * Each finished seed is written to --out at once; a re-run skips the seeds already there (a killed run
 * loses at most the seed it was in). Flags: --epochs N (per training, default 10) --seeds 1,2,3
 * --limit-train N --targets 0.5,0.8,0.9,0.95 --one-shot 0.5,0.7,0.9 --threads N (default 0: ORT
 * decides) --out FILE (JSON, default bench-prune.json) --write (append the section to BENCHMARKS.md).
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { subset } from '../src/data/dataset.js';
import { loadDataSource } from '../src/data/sources.js';
import { buildArchitecture } from '../src/models/spec.js';
import { encodeModel } from '../src/onnx/model.js';
import { applyMasks } from '../src/prune/applyMasks.js';
import type { ImportanceMethod, PruningScope } from '../src/prune/importance/index.js';
import { retrainWithMasks } from '../src/prune/maskedTraining.js';
import { calibrationSample, runPruning } from '../src/prune/plan.js';
import { lotteryTicket, shuffledInitialization } from '../src/prune/schedules/lottery.js';
import { runtimeVersion, Session } from '../src/runtime/session.js';
import { evaluateClassifier } from '../src/train/evaluate.js';
import type { TrainerConfig } from '../src/train/trainer.js';
import type { ModelProto } from '../src/onnx/proto.js';
import { writeFileAtomic } from '../src/util/atomicWrite.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const list = (name: string, fallback: string) => flag(name, fallback).split(',').map(Number);
const epochs = Number(flag('epochs', '10'));
const seeds = list('seeds', '1,2,3');
const targets = list('targets', '0.5,0.8,0.9,0.95');
const oneShotSparsities = list('one-shot', '0.5,0.7,0.9');
const limitTrain = Number(flag('limit-train', '0'));
const threads = Number(flag('threads', '0'));
const out = flag('out', 'bench-prune.json');
/** Wanda's calibration: the paper uses 128 sequences; here 128 training images. */
const CALIBRATION_IMAGES = 128;
const ONE_SHOT: readonly { name: string; importance: ImportanceMethod; scope: PruningScope }[] = [
  { name: 'magnitude, per layer', importance: 'magnitude', scope: 'layer' },
  { name: 'magnitude, per row', importance: 'magnitude', scope: 'row' },
  { name: 'Wanda, per row', importance: 'wanda', scope: 'row' },
];

const sources = loadDataSource('mnist', { inputDims: [784] });
const train = limitTrain > 0 ? subset(sources.train, limitTrain) : sources.train;
const data = { train };
const testSize = sources.test.length;

async function testAccuracy(model: ModelProto): Promise<number> {
  const session = await Session.create(encodeModel(model), { name: 'test model', threads });
  try {
    return (await evaluateClassifier(session, sources.test, 1000)).accuracy;
  } finally {
    await session.dispose();
  }
}
const errors = (accuracy: number) => Math.round((1 - accuracy) * testSize);

interface LotteryRow { seed: number; sparsity: number; ticket: number; reinit: number | null; seconds: number }
interface OneShotRow { seed: number; method: string; sparsity: number; accuracy: number }
interface Results { bench: 'prune'; arch: 'lenet-300-100'; epochs: number; trainImages: number; lottery: LotteryRow[]; oneShot: OneShotRow[]; seeds: number[]; seconds: Record<string, number> }
const settingsKey = { epochs, trainImages: train.length };
const previous = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as Partial<Results>) : null;
const reusable = previous?.bench === 'prune' && previous.epochs === epochs && previous.trainImages === train.length;
const results: Results = reusable
  ? (previous as Results)
  : { bench: 'prune', arch: 'lenet-300-100', ...settingsKey, lottery: [], oneShot: [], seeds: [], seconds: {} };
const started = performance.now();

for (const seed of seeds) {
  if (results.seeds.includes(seed)) {
    console.log(`seed ${seed}: reused from ${out}`);
    continue;
  }
  const t0 = performance.now();
  const lottery: LotteryRow[] = [];
  const oneShot: OneShotRow[] = [];
  const model = buildArchitecture('lenet-300-100', { seed });
  // Frankle & Carbin trained LeNet with Adam at 1.2e-3; batch 60.
  const config: TrainerConfig = { batchSize: 60, epochs, seed, threads, progress: 'silent', optimizer: { kind: 'adam' }, schedule: { kind: 'constant', lr: 1.2e-3 } };
  await lotteryTicket(model, {
    config, data, targets, ratePerRound: 0.2,
    onRound: async (round) => {
      if (round.round === 0) {
        // The trained dense model, pruned without retraining.
        const calibrationSet = calibrationSample(train, CALIBRATION_IMAGES, seed);
        for (const sparsity of oneShotSparsities) {
          for (const m of ONE_SHOT) {
            const pruned = await runPruning(round.result.model, { importance: m.importance, scope: m.scope, target: { sparsity }, pattern: { kind: 'unstructured' }, schedule: { kind: 'oneshot' }, seed, threads, calibrationSet });
            const row = { seed, method: m.name, sparsity, accuracy: await testAccuracy(pruned.model) };
            oneShot.push(row);
            console.log(`seed ${seed} one-shot ${m.name} ${(100 * sparsity).toFixed(0)}%: ${errors(row.accuracy)} test errors`);
          }
        }
      }
      if (round.round !== 0 && !round.isTarget) return;
      const t1 = performance.now();
      const ticket = await testAccuracy(round.result.model);
      let reinit: number | null = null;
      if (round.round !== 0) {
        const control = applyMasks(shuffledInitialization(round.rewound, seed * 1000 + round.round), round.masks);
        reinit = await testAccuracy((await retrainWithMasks(control, round.masks, config, data)).model);
      }
      const row = { seed, sparsity: round.sparsity, ticket, reinit, seconds: (performance.now() - t1) / 1000 };
      lottery.push(row);
      console.log(`seed ${seed} sparsity ${(100 * row.sparsity).toFixed(1)}%: ticket ${(100 * ticket).toFixed(2)}%${reinit === null ? '' : `, random reinit ${(100 * reinit).toFixed(2)}%`}`);
    },
  });
  results.lottery.push(...lottery);
  results.oneShot.push(...oneShot);
  results.seeds.push(seed);
  results.seconds[seed] = (performance.now() - t0) / 1000;
  writeFileAtomic(out, JSON.stringify(results, null, 2) + '\n');
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const pct = (x: number) => (100 * x).toFixed(2);
const used = results.seeds.filter((s) => seeds.includes(s));
const cpu = os.cpus();
const lines: string[] = [];
lines.push('## Pruning LeNet-300-100: lottery tickets, and Wanda vs magnitude without retraining (issue 7)', '');
lines.push(`Date ${new Date().toISOString().slice(0, 10)}. Machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown'}), load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')}, Node ${process.version}, onnxruntime-node ${runtimeVersion()} CPU, ORT threads ${threads || 'ORT default'}. Command: \`npm run bench:prune${process.argv.includes('--write') ? '' : ' (without --write)'}\` with \`${process.argv.slice(2).join(' ')}\`. Seeds ${used.join(', ')}; ${results.trainImages} training images, Adam 1.2e-3, batch 60, ${results.epochs} epochs per training; seconds per seed: ${used.map((s) => Math.round(results.seconds[s] ?? 0)).join(', ')}.`, '');
lines.push('Lottery tickets (Frankle & Carbin 2019): 20% of the remaining weights of each layer per round, survivors rewound to their initial values; the control trains the same masks on a shuffled (seeded) initialization. Test accuracy on the 10,000 MNIST test images, mean over seeds (each seed in brackets).', '');
lines.push('| sparsity % | winning ticket % | random reinitialization % |', '|---:|---:|---:|');
for (const s of [0, ...targets]) {
  const at = results.lottery.filter((r) => used.includes(r.seed) && Math.abs(r.sparsity - s) < 1e-9);
  if (at.length === 0) continue;
  const reinit = at.filter((r) => r.reinit !== null).map((r) => r.reinit!);
  lines.push(`| ${(100 * s).toFixed(0)} | ${pct(mean(at.map((r) => r.ticket)))} (${at.map((r) => pct(r.ticket)).join(', ')}) | ${reinit.length ? `${pct(mean(reinit))} (${reinit.map(pct).join(', ')})` : '—'} |`);
}
lines.push('', `One-shot pruning of each seed's trained dense model (round 0), no retraining; Wanda's activation norms from ${CALIBRATION_IMAGES} seeded training images. Test errors of 10,000, mean over seeds (each seed in brackets).`, '');
lines.push(`| sparsity % | ${ONE_SHOT.map((m) => m.name).join(' | ')} | Wanda − magnitude per row (mean) |`, `|---:|${ONE_SHOT.map(() => '---:').join('|')}|---:|`);
for (const s of oneShotSparsities) {
  const cells = ONE_SHOT.map((m) => results.oneShot.filter((r) => used.includes(r.seed) && r.method === m.name && r.sparsity === s).map((r) => errors(r.accuracy)));
  const diff = mean(cells[2]!.map((e, i) => e - cells[1]![i]!));
  lines.push(`| ${(100 * s).toFixed(0)} | ${cells.map((c) => `${mean(c).toFixed(1)} (${c.join(', ')})`).join(' | ')} | ${diff >= 0 ? '+' : '−'}${Math.abs(diff).toFixed(1)} |`);
}
const section = lines.join('\n');
console.log('\n' + section);
console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s this run; results in ${out}`);
if (process.argv.includes('--write')) appendFileSync('BENCHMARKS.md', '\n' + section + '\n');
