/**
 * Where a schedule gets an importance from at each pruning step: weight-only criteria need nothing,
 * Wanda runs its calibration set through the current model, movement reads the statistic the
 * training graph accumulated since training began.
 */
import type { Dataset } from '../data/dataset.js';
import type { ModelProto } from '../onnx/proto.js';
import type { Trainer } from '../train/trainer.js';
import type { ParameterStatistic } from '../train/trainingGraph.js';
import { RetortError } from '../util/errors.js';
import { collectActivationNorms } from './activationNorms.js';
import { MOVEMENT_STATISTIC, movementStatistic, type ImportanceSpec } from './importance/index.js';
import type { PrunableLayer } from './layers.js';

/**
 * Where Wanda measures each layer's input activations: `sequential`, on the model with the layers
 * upstream of it already pruned (as Wanda's reference code does; see sequential.ts), or `one-pass`,
 * every layer on the dense model at once. Unset: sequential where the prune is one-shot and decided
 * per layer or row, one-pass otherwise (a global threshold, iterative and gradual schedules).
 */
export type WandaCalibration = 'sequential' | 'one-pass';
export const WANDA_CALIBRATIONS: readonly WandaCalibration[] = ['sequential', 'one-pass'];

/** The calibration order Wanda runs with: the one asked for, else sequential wherever the prune allows it. */
export function wandaCalibrationOf(requested: WandaCalibration | undefined, prune: { oneShot: boolean; global: boolean }): WandaCalibration {
  return requested ?? (prune.oneShot && !prune.global ? 'sequential' : 'one-pass');
}

export type ImportanceSource =
  | { method: 'magnitude' }
  | { method: 'han' }
  | { method: 'random'; seed: number }
  | { method: 'wanda'; calibrationSet: Dataset; calibration?: WandaCalibration; batchSize?: number; threads?: number }
  | { method: 'movement' };

/** Whether the criterion is read from training (so it can prune only where training came first). */
export function needsTraining(source: ImportanceSource): boolean {
  return source.method === 'movement';
}

/** Statistics the training graph must accumulate for this criterion. */
export function trainingStatistics(source: ImportanceSource, layers: readonly PrunableLayer[]): ParameterStatistic[] {
  return source.method === 'movement' ? [movementStatistic(layers.map((l) => l.name))] : [];
}

export async function resolveImportance(source: ImportanceSource, state: { model: ModelProto; layers: readonly PrunableLayer[]; trainer?: Trainer }): Promise<ImportanceSpec> {
  switch (source.method) {
    case 'magnitude':
    case 'han':
    case 'random':
      return source;
    case 'wanda':
      return { method: 'wanda', activationNorms: await collectActivationNorms(state.model, state.layers, source.calibrationSet, source) };
    case 'movement':
      if (!state.trainer) throw new RetortError('BAD_ARGUMENT', 'Movement importance is accumulated during training (Sanh et al. 2020): give fine-tuning epochs, or use the agp schedule');
      return { method: 'movement', scores: state.trainer.parameterStatistic(MOVEMENT_STATISTIC) };
  }
}
