/**
 * Token-level distillation on sequences the student samples itself (on-policy), as in GKD (Agarwal et
 * al. 2024, "On-Policy Distillation of Language Models: Learning from Self-Generated Mistakes") and
 * the single-step part of MiniLLM (Gu et al. 2024, "MiniLLM: Knowledge Distillation of Large Language
 * Models"): the student's own continuations are scored by the teacher position by position, and the
 * student is trained on a token-level divergence — reverse KL, MiniLLM's mode-seeking choice —
 * between its next-token distribution and the teacher's, at every position of those sequences.
 *
 * What runs: training is cut into rounds of `every` steps. A round is on-policy with probability
 * `fraction` (seeded per round; GKD's λ); at its start the current student samples `poolSize`
 * sequences of context + 1 tokens, each continuing `promptLength` tokens of real text, and the round's
 * steps train on windows of that pool (MiniLLM reuses each rollout for several updates the same way).
 * Other rounds train on random windows of the real text. The teacher runs per batch either way. Terms
 * that read the labels (cross-entropy) are weighted 0 in on-policy rounds, where the labels are the
 * student's own samples, and keep their weight in data rounds.
 *
 * What does not run: MiniLLM's full policy gradient — the long-horizon term that credits a token for
 * the teacher's judgement of the rest of the sequence, its teacher-mixed sampling, length
 * normalization and clipping. The gradient here flows only through the per-position distributions
 * given the sampled prefix (no gradient through the sampling), which is MiniLLM's single-step term
 * and GKD's objective.
 *
 * Resume: a round's pool is sampled from the student at the round's first step with a seed of
 * (seed, round), so a run resumed at a round boundary samples the same pool. Checkpoints are written
 * at round boundaries only (checkpoint.everySteps must be a multiple of `every`).
 */
import { gatherWindows, randomWindowStarts } from '../../data/text/windows.js';
import { sampleContinuations, type SamplingOptions } from '../../models/sampling.js';
import { deriveSeed, windowRng } from '../../train/seeds.js';
import type { LanguageModelData, TrainResult, WindowSource } from '../../train/trainer.js';
import { RetortError } from '../../util/errors.js';
import { Rng } from '../../util/random.js';
import { createDistillationTrainer, type DistillationResult, type DistillationRun } from '../distill.js';
import type { ScalarSchedule } from '../terms/schedule.js';
import type { WeightedTerm } from '../terms/types.js';
import { drawPrompts } from './sequenceKd.js';
import { poolWindowsAt, sequencePool, type SequencePool } from './sequencePool.js';

export interface OnPolicyOptions {
  /** Steps per round: the student samples a fresh pool at the start of each on-policy round. */
  every: number;
  /** Fraction of rounds trained on the student's samples (the rest on real text); default 1. */
  fraction?: number;
  /** Sequences sampled per on-policy round; default the batch size. */
  poolSize?: number;
  /** Real tokens each sampled sequence starts from; default 1. */
  promptLength?: number;
  /** How the student samples; default temperature 1, no top-k (the student's own distribution). */
  sampling?: SamplingOptions;
  /** Sequences per ORT call while sampling; default the pool size. */
  sampleBatchSize?: number;
}

export interface OnPolicyRun extends DistillationRun {
  data: LanguageModelData;
  onPolicy: OnPolicyOptions;
}

export interface OnPolicyResult extends DistillationResult {
  rounds: number;
  onPolicyRounds: number;
  /** Wall time spent sampling from the student. */
  samplingSeconds: number;
  /** Tokens the student sampled. */
  sampledTokens: number;
  /** The step a resumed run started from, else null (the counts above are of this process's rounds). */
  resumedFromStep: number | null;
}

const ROUND_KIND = 0x0b01;
const ROUND_PROMPTS = 0x0b02;
const ROUND_SAMPLES = 0x0b03;

/** Whether round `round` trains on the student's samples (seeded, so a resumed run agrees). */
export function isOnPolicyRound(seed: number, round: number, fraction: number): boolean {
  return fraction >= 1 || (fraction > 0 && new Rng(deriveSeed(seed, ROUND_KIND, round)).next() < fraction);
}

function checkOptions(run: OnPolicyRun): Required<Omit<OnPolicyOptions, 'sampling' | 'sampleBatchSize'>> & Pick<OnPolicyOptions, 'sampling' | 'sampleBatchSize'> {
  const { every, fraction = 1, poolSize = run.trainer.batchSize, promptLength = 1 } = run.onPolicy;
  const problems: string[] = [];
  const positive = (what: string, v: number) => { if (!(Number.isInteger(v) && v > 0)) problems.push(`${what} must be a positive integer, got ${v}`); };
  positive('every', every);
  positive('poolSize', poolSize);
  positive('promptLength', promptLength);
  if (!(fraction >= 0 && fraction <= 1)) problems.push(`fraction must be in [0, 1], got ${fraction}`);
  if (promptLength > run.data.context) problems.push(`promptLength ${promptLength} is longer than the context ${run.data.context}`);
  const checkpointEvery = run.trainer.checkpoint?.everySteps;
  if (checkpointEvery !== undefined && checkpointEvery % every !== 0) problems.push(`checkpoint.everySteps ${checkpointEvery} must be a multiple of every (${every}) so that checkpoints fall on round boundaries`);
  if (run.data.windows) problems.push('the data already has a window source; on-policy distillation supplies its own');
  if (problems.length > 0) throw new RetortError('BAD_ARGUMENT', `On-policy distillation: ${problems.join('; ')}`);
  return { every, fraction, poolSize, promptLength, sampling: run.onPolicy.sampling, sampleBatchSize: run.onPolicy.sampleBatchSize };
}

/** Terms reading the labels get weight 0 in on-policy rounds: a piecewise schedule over the rounds. */
function offInOnPolicyRounds(terms: readonly WeightedTerm[], rounds: number, every: number, onPolicy: (round: number) => boolean): WeightedTerm[] {
  return terms.map((t) => {
    if (!t.term.readsLabels) return t;
    if (typeof t.weight !== 'number') throw new RetortError('BAD_ARGUMENT', `On-policy distillation: term "${t.name}" reads the labels and has a scheduled weight; give it a constant weight`);
    const boundaries = Array.from({ length: rounds - 1 }, (_, r) => (r + 1) * every);
    const values = Array.from({ length: rounds }, (_, r) => (onPolicy(r) ? 0 : (t.weight as number)));
    const weight: ScalarSchedule = values.every((v) => v === values[0]) ? values[0]! : { kind: 'piecewise', boundaries, values };
    return { ...t, weight };
  });
}

export async function distillOnPolicy(run: OnPolicyRun, resumeFrom?: string): Promise<OnPolicyResult> {
  const options = checkOptions(run);
  const { every, fraction, poolSize, promptLength } = options;
  const { data } = run;
  const { batchSize, seed } = run.trainer;
  const { context, train } = data;
  const stepsPerEpoch = data.stepsPerEpoch ?? Math.max(1, Math.floor(train.length / (batchSize * context)));
  const totalSteps = Math.min(run.trainer.maxSteps ?? Infinity, run.trainer.epochs * stepsPerEpoch);
  const rounds = Math.ceil(totalSteps / every);
  const onPolicy = (round: number) => isOnPolicyRound(seed, round, fraction);
  if (!run.terms) throw new RetortError('BAD_ARGUMENT', 'On-policy distillation needs terms (e.g. kd with divergence reverse-kl)');
  // Over every round of the epochs, not of maxSteps: a budget must not change the objective (nor the checkpoint's hash).
  const terms = offInOnPolicyRounds(run.terms, Math.ceil((run.trainer.epochs * stepsPerEpoch) / every), every, onPolicy);

  let pool: { round: number; pool: SequencePool } | null = null;
  const source: WindowSource = {
    key: `on-policy:${every}:${fraction}:${poolSize}:${promptLength}:${JSON.stringify(options.sampling ?? {})}`,
    windows(step, buffer) {
      const round = Math.floor(step / every);
      if (!onPolicy(round)) return gatherWindows(train, randomWindowStarts(windowRng(seed, step), buffer.count, train, context), buffer);
      if (pool?.round !== round) throw new RetortError('BAD_ARGUMENT', `On-policy step ${step}: no student samples for round ${round} (steps must run round by round)`);
      return poolWindowsAt(pool.pool, seed, step, buffer);
    },
  };
  const { trainer, teacherSignal, close } = await createDistillationTrainer({ ...run, terms, data: { ...data, windows: source } }, resumeFrom);
  const sampling = options.sampling ?? { temperature: 1 };
  let samplingSeconds = 0;
  let sampledTokens = 0;
  let onPolicyRounds = 0;
  let result: TrainResult | undefined;
  const resumedFromStep = resumeFrom !== undefined ? trainer.step : null;
  try {
    if (trainer.step % every !== 0) throw new RetortError('CHECKPOINT_INVALID', `Resumed at step ${trainer.step}, inside a round of ${every} steps; on-policy runs resume at round boundaries`);
    while (trainer.step < totalSteps) {
      const round = Math.floor(trainer.step / every);
      if (onPolicy(round)) {
        const started = performance.now();
        const prompts = drawPrompts(train, poolSize, promptLength, new Rng(deriveSeed(seed, ROUND_PROMPTS, round)));
        const sequences = await sampleContinuations(trainer.exportModel(), prompts, promptLength, {
          ...sampling,
          newTokens: context + 1 - promptLength,
          seed: deriveSeed(seed, ROUND_SAMPLES, round),
          context,
          vocabSize: train.vocabSize,
          batchSize: options.sampleBatchSize ?? poolSize,
          threads: run.trainer.threads ?? 0,
        });
        pool = { round, pool: sequencePool(sequences, context + 1, train.vocabSize) };
        samplingSeconds += (performance.now() - started) / 1000;
        sampledTokens += poolSize * (context + 1 - promptLength);
        onPolicyRounds++;
      }
      trainer.config.maxSteps = Math.min(totalSteps, (round + 1) * every);
      result = await trainer.fit();
      if (result.stoppedEarly) break;
    }
    result ??= await trainer.fit();
    return { ...result, teacherSignal, rounds, onPolicyRounds, samplingSeconds, sampledTokens, resumedFromStep };
  } finally {
    await close();
  }
}
