/**
 * Iterative prune-and-retrain (Han et al. 2015): k rounds, each pruning to the next sparsity and
 * retraining with the masks. Round i targets s_i = 1 - (1 - s)^(i/k), the same fraction of the
 * remaining weights each round.
 */
import type { ModelProto } from '../../onnx/proto.js';
import type { TrainResult } from '../../train/trainer.js';
import { RetortError } from '../../util/errors.js';
import { needsTraining, resolveImportance, type ImportanceSource } from '../evidence.js';
import type { PruningScope } from '../importance/index.js';
import { findPrunableLayers } from '../layers.js';
import { retrainWithMasks, type MaskedTraining } from '../maskedTraining.js';
import type { Masks } from '../masks.js';
import { prune } from '../prune.js';

export function iterativeSparsities(target: number, rounds: number): number[] {
  return Array.from({ length: rounds }, (_, i) => (i + 1 === rounds ? target : 1 - (1 - target) ** ((i + 1) / rounds)));
}

export interface IterativePruning {
  importance: ImportanceSource;
  scope: PruningScope;
  sparsity: number;
  rounds: number;
  /** Retraining after each prune; none prunes in rounds without retraining. Several runs: none resumes. */
  retrain?: Omit<MaskedTraining, 'resumeFrom'>;
  onRound?: (round: number, sparsity: number, model: ModelProto) => Promise<void> | void;
}

export async function iterativePrune(model: ModelProto, run: IterativePruning): Promise<{ model: ModelProto; masks: Masks; results: TrainResult[] }> {
  if (!(Number.isInteger(run.rounds) && run.rounds > 0)) throw new RetortError('BAD_ARGUMENT', `Iterative pruning needs a positive whole number of rounds, got ${run.rounds}`);
  if (needsTraining(run.importance)) throw new RetortError('BAD_ARGUMENT', `Importance "${run.importance.method}" is read from training: use the agp or oneshot schedule`);
  const layers = findPrunableLayers(model);
  let current = model;
  let masks: Masks | undefined;
  const results: TrainResult[] = [];
  for (const [i, sparsity] of iterativeSparsities(run.sparsity, run.rounds).entries()) {
    const importance = await resolveImportance(run.importance, { model: current, layers });
    const pruned = prune(current, { importance, selection: { pattern: 'unstructured', sparsity, scope: run.scope }, previous: masks });
    masks = pruned.masks;
    current = pruned.model;
    if (run.retrain) {
      const result = await retrainWithMasks(current, masks, run.retrain.config, run.retrain.data, { open: run.retrain.open });
      results.push(result);
      current = result.trainedModel;
    }
    await run.onRound?.(i + 1, sparsity, current);
  }
  return { model: current, masks: masks ?? new Map(), results };
}
