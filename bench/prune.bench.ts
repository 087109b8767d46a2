/**
 * Lottery tickets on LeNet-300-100 (`npm run bench:prune`), after Frankle & Carbin 2019, Figure 3:
 * test accuracy of winning tickets (iterative magnitude pruning, 20% of the remaining weights of each
 * layer per round, survivors reset to their initial values, retrained) against the same masks on a
 * random reinitialization (each layer's initial values shuffled, seeded), at sparsities 0/50/80/90/95%,
 * for several seeds. Flags: --epochs N (per training, default 10) --seeds 1,2,3 --limit-train N
 * --targets 0.5,0.8,0.9,0.95 --out FILE (JSON, default bench-prune.json).
 */
import { subset } from '../src/data/dataset.js';
import { loadDataSource } from '../src/data/sources.js';
import { buildArchitecture } from '../src/models/spec.js';
import { encodeModel } from '../src/onnx/model.js';
import { applyMasks } from '../src/prune/applyMasks.js';
import { retrainWithMasks } from '../src/prune/maskedTraining.js';
import { lotteryTicket, shuffledInitialization } from '../src/prune/schedules/lottery.js';
import { Session } from '../src/runtime/session.js';
import { evaluateClassifier } from '../src/train/evaluate.js';
import type { TrainerConfig } from '../src/train/trainer.js';
import type { ModelProto } from '../src/onnx/proto.js';
import { writeFileAtomic } from '../src/util/atomicWrite.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const epochs = Number(flag('epochs', '10'));
const seeds = flag('seeds', '1,2,3').split(',').map(Number);
const targets = flag('targets', '0.5,0.8,0.9,0.95').split(',').map(Number);
const limitTrain = Number(flag('limit-train', '0'));
const out = flag('out', 'bench-prune.json');

const sources = loadDataSource('mnist', { inputDims: [784] });
const train = limitTrain > 0 ? subset(sources.train, limitTrain) : sources.train;
const data = { train };

async function testAccuracy(model: ModelProto): Promise<number> {
  const session = await Session.create(encodeModel(model), { name: 'test model' });
  try {
    return (await evaluateClassifier(session, sources.test, 1000)).accuracy;
  } finally {
    await session.dispose();
  }
}

interface Row { seed: number; sparsity: number; ticket: number; reinit: number | null; seconds: number }
const rows: Row[] = [];
const started = performance.now();
for (const seed of seeds) {
  const model = buildArchitecture('lenet-300-100', { seed });
  // Frankle & Carbin trained LeNet with Adam at 1.2e-3; batch 60.
  const config: TrainerConfig = { batchSize: 60, epochs, seed, progress: 'silent', optimizer: { kind: 'adam' }, schedule: { kind: 'constant', lr: 1.2e-3 } };
  await lotteryTicket(model, {
    config, data, targets, ratePerRound: 0.2,
    onRound: async (round) => {
      if (round.round !== 0 && !round.isTarget) return;
      const t0 = performance.now();
      const ticket = await testAccuracy(round.result.model);
      let reinit: number | null = null;
      if (round.round !== 0) {
        const control = applyMasks(shuffledInitialization(round.rewound, seed * 1000 + round.round), round.masks);
        reinit = await testAccuracy((await retrainWithMasks(control, round.masks, config, data)).model);
      }
      const row = { seed, sparsity: round.sparsity, ticket, reinit, seconds: (performance.now() - t0) / 1000 };
      rows.push(row);
      console.log(`seed ${seed} sparsity ${(100 * row.sparsity).toFixed(1)}%: ticket ${(100 * ticket).toFixed(2)}%${reinit === null ? '' : `, random reinit ${(100 * reinit).toFixed(2)}%`}`);
    },
  });
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`\nLeNet-300-100 lottery tickets, ${epochs} epochs per training, seeds ${seeds.join(',')}, ${train.length} training images`);
console.log('| sparsity % | winning ticket acc % (mean) | random reinit acc % (mean) |\n|---:|---:|---:|');
for (const s of [0, ...targets]) {
  const at = rows.filter((r) => Math.abs(r.sparsity - s) < 1e-9);
  const reinit = at.filter((r) => r.reinit !== null).map((r) => r.reinit!);
  console.log(`| ${(100 * s).toFixed(0)} | ${(100 * mean(at.map((r) => r.ticket))).toFixed(2)} | ${reinit.length ? (100 * mean(reinit)).toFixed(2) : '-'} |`);
}
const seconds = (performance.now() - started) / 1000;
writeFileAtomic(out, JSON.stringify({ bench: 'prune-lottery', arch: 'lenet-300-100', epochs, seeds, targets, trainImages: train.length, rows, seconds }, null, 2) + '\n');
console.log(`total ${seconds.toFixed(1)} s; results in ${out}`);
