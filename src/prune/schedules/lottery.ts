/**
 * Lottery tickets (Frankle & Carbin 2019): train, prune the smallest-magnitude weights, reset the
 * survivors to their initial values, retrain; iteratively, p% of the remaining weights per round
 * (20% for fully connected nets). Rewinding (Frankle et al. 2020, "Linear Mode Connectivity and the
 * Lottery Ticket Hypothesis") resets to the values after k steps instead of step 0. The control is a
 * random reinitialization: the same masks on weights drawn again from the initial distribution, here
 * by a seeded shuffle of each layer's initial values (the same distribution, exactly).
 */
import type { ModelProto } from '../../onnx/proto.js';
import { openPlainTrainer, type OpenTrainer } from '../../train/openTrainer.js';
import type { TrainData, TrainerConfig, TrainResult } from '../../train/trainer.js';
import { deriveSeed } from '../../train/seeds.js';
import { RetortError } from '../../util/errors.js';
import { Rng } from '../../util/random.js';
import { applyMasks } from '../applyMasks.js';
import { withParameterValues } from '../../train/export.js';
import { findPrunableLayers, readLayerWeights } from '../layers.js';
import { retrainWithMasks } from '../maskedTraining.js';
import type { Masks } from '../masks.js';
import { magnitudePrune } from '../prune.js';

/** Sparsities of successive rounds: `rate` of the remaining weights each round, stopping exactly at each target. */
export function lotterySparsities(targets: readonly number[], rate: number): number[] {
  if (!(rate > 0 && rate < 1)) throw new RetortError('BAD_ARGUMENT', `Lottery pruning rate per round must be in (0, 1), got ${rate}`);
  const out: number[] = [];
  let s = 0;
  for (const target of targets) {
    if (!(target > s && target < 1)) throw new RetortError('BAD_ARGUMENT', `Lottery target sparsities must rise within (0, 1); got ${targets.join(', ')}`);
    // A small tolerance, so float error never adds a sliver of a round.
    while (s < target - 1e-9) out.push((s = Math.min(target, 1 - (1 - rate) * (1 - s))));
  }
  return out;
}

export interface LotteryRun {
  config: TrainerConfig;
  data: TrainData;
  /** Opens each round's trainer (default: a plain Trainer). */
  open?: OpenTrainer;
  /** Sparsities to reach (ascending); intermediate rounds prune `ratePerRound` of what remains. */
  targets: readonly number[];
  ratePerRound?: number;
  scope?: 'layer' | 'global';
  /** Rewind to the values after this many steps of the first training (0: the initial values). */
  rewindStep?: number;
  onRound?: (round: LotteryRound) => Promise<void> | void;
}

export interface LotteryRound {
  round: number;
  sparsity: number;
  isTarget: boolean;
  masks: Masks;
  /** The ticket: rewound values ⊙ masks, before training. */
  ticket: ModelProto;
  /** The rewound (unpruned) values the tickets start from, shared by all rounds. */
  rewound: ModelProto;
  result: TrainResult;
}

/** Each prunable layer's weights permuted by a seeded shuffle (the random-reinitialization control). */
export function shuffledInitialization(model: ModelProto, seed: number): ModelProto {
  const layers = findPrunableLayers(model);
  const weights = readLayerWeights(model, layers);
  const shuffled = new Map(layers.map((l, i) => {
    const w = weights.get(l.name)!;
    const p = new Rng(deriveSeed(seed, i, 0x5f1e)).permutation(w.length);
    return [l.name, Float32Array.from(p, (j) => w[j]!)];
  }));
  return withParameterValues(model, shuffled);
}

export async function lotteryTicket(model: ModelProto, run: LotteryRun): Promise<LotteryRound[]> {
  const rewindStep = run.rewindStep ?? 0;
  // Round 0: dense training, snapshotting the rewind point on the way.
  const { trainer, close } = await (run.open ?? openPlainTrainer)(model, run.config, run.data);
  let rewound = model;
  let dense: TrainResult;
  try {
    if (rewindStep > 0) {
      const end = trainer.config.maxSteps;
      trainer.config.maxSteps = rewindStep;
      await trainer.fit();
      rewound = withParameterValues(model, trainer.currentValues());
      trainer.config.maxSteps = end;
    }
    dense = await trainer.fit();
  } finally {
    await close();
  }
  const rounds: LotteryRound[] = [{ round: 0, sparsity: 0, isTarget: false, masks: new Map(), ticket: rewound, rewound, result: dense }];
  await run.onRound?.(rounds[0]!);
  let trained = dense.model;
  let masks: Masks | undefined;
  const targets = new Set(run.targets);
  for (const [i, sparsity] of lotterySparsities(run.targets, run.ratePerRound ?? 0.2).entries()) {
    masks = magnitudePrune(trained, { sparsity, scope: run.scope ?? 'layer', previous: masks }).masks;
    const ticket = applyMasks(rewound, masks);
    const result = await retrainWithMasks(ticket, masks, run.config, run.data, { open: run.open });
    trained = result.model;
    const round: LotteryRound = { round: i + 1, sparsity, isTarget: targets.has(sparsity), masks, ticket, rewound, result };
    rounds.push(round);
    await run.onRound?.(round);
  }
  return rounds;
}
