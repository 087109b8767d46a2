/**
 * Checkpoints of training whose masks change as it runs (gradual pruning): the Trainer's checkpoint
 * with the masks in effect added as extra tensors, in one atomically written file, so weights and
 * masks can never come from different steps. The Trainer resumes from the same file (it reads the
 * tensors it carries and ignores the rest); the schedule reads the masks back from it.
 */
import { loadCheckpoint, saveCheckpoint } from '../train/checkpoint.js';
import type { Trainer } from '../train/trainer.js';
import { RetortError } from '../util/errors.js';
import type { PrunableLayer } from './layers.js';
import type { Masks } from './masks.js';

/** Tensor-name prefix of a mask in the file (no carried tensor has it: those are parameter and state names). */
const MASK_PREFIX = 'pruning-mask:';

export function saveCheckpointWithMasks(path: string, trainer: Trainer, masks: ReadonlyMap<string, Float32Array>, layers: readonly PrunableLayer[]): void {
  const checkpoint = trainer.toCheckpoint();
  const maskTensors = layers.map((l) => ({ name: `${MASK_PREFIX}${l.name}`, dims: [...l.dims], data: masks.get(l.name)! }));
  saveCheckpoint(path, { ...checkpoint, tensors: [...checkpoint.tensors, ...maskTensors] });
}

/** The masks a checkpoint written by `saveCheckpointWithMasks` holds, one per layer. */
export function loadCheckpointMasks(path: string, layers: readonly PrunableLayer[]): Masks {
  const byName = new Map(loadCheckpoint(path).tensors.map((t) => [t.name, t]));
  return new Map(layers.map((l) => {
    const saved = byName.get(`${MASK_PREFIX}${l.name}`);
    if (!saved || saved.data.length !== l.order.length) {
      throw new RetortError('CHECKPOINT_INVALID', `${path} holds no pruning mask for layer "${l.name}" [${l.dims.join(',')}]: it was not written by gradual pruning of this model`);
    }
    return [l.name, saved.data];
  }));
}
