/**
 * Born-again networks (Furlanello, Lipton, Tschannen, Itti & Anandkumar 2018): a student of the
 * teacher's own architecture, distilled from it, often beats it; repeating this gives a sequence of
 * generations, each distilled from the one before. Generation 0 is the starting teacher: a given
 * model, or the architecture trained on the labels alone. Every generation starts from fresh weights
 * (seeded by the run's seed and the generation), so generations differ by what they learn from, not by
 * where they start.
 */
import type { ModelProto } from '../onnx/proto.js';
import type { TrainData, TrainerConfig } from '../train/trainer.js';
import { RetortError } from '../util/errors.js';
import { distill } from './distill.js';
import type { HintonOptions } from './hintonLoss.js';

export interface BornAgainRun {
  /** A fresh network of the architecture, initialised from `seed`. */
  build: (seed: number) => ModelProto;
  /** Generations distilled after generation 0 (N ≥ 1). */
  generations: number;
  data: TrainData;
  trainer: Omit<TrainerConfig, 'loss'>;
  /** The distillation loss of generations 1..N (the paper: soft targets only, alpha 0, T 1). */
  kd: HintonOptions;
  /** Generation 0; when absent it is trained on the labels alone (alpha 1) from build(seed). */
  initialTeacher?: ModelProto;
  /** Called as each generation finishes (to evaluate and report it). */
  onGeneration?: (generation: number, model: ModelProto) => Promise<void> | void;
}

export interface Generation {
  generation: number;
  model: ModelProto;
  /** 'given', 'labels' (generation 0 trained on labels) or 'distilled' from generation - 1. */
  source: 'given' | 'labels' | 'distilled';
  steps: number;
  lastLoss: number;
}

/** The seed of generation g's initial weights and shuffles: distinct per generation, fixed by the run's seed. */
export function generationSeed(seed: number, generation: number): number {
  return (seed * 1000 + generation) >>> 0;
}

export async function bornAgain(run: BornAgainRun): Promise<Generation[]> {
  if (!(Number.isInteger(run.generations) && run.generations >= 1)) {
    throw new RetortError('BAD_ARGUMENT', `Born-again networks need at least 1 generation after generation 0, got ${run.generations}`);
  }
  const generations: Generation[] = [];
  const train = async (generation: number, teacher: ModelProto | null): Promise<Generation> => {
    const seed = generationSeed(run.trainer.seed, generation);
    const student = run.build(seed);
    const kd: HintonOptions = teacher ? run.kd : { ...run.kd, alpha: 1 };
    const result = await distill({ teacher: teacher ?? student, student, data: run.data, trainer: { ...run.trainer, seed }, kd });
    return { generation, model: result.model, source: teacher ? 'distilled' : 'labels', steps: result.steps, lastLoss: result.lastLoss };
  };
  const first = run.initialTeacher
    ? { generation: 0, model: run.initialTeacher, source: 'given' as const, steps: 0, lastLoss: NaN }
    : await train(0, null);
  generations.push(first);
  await run.onGeneration?.(0, first.model);
  for (let g = 1; g <= run.generations; g++) {
    const next = await train(g, generations[g - 1]!.model);
    generations.push(next);
    await run.onGeneration?.(g, next.model);
  }
  return generations;
}
