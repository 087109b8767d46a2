/**
 * Resuming a training stage: when an interrupted attempt left a checkpoint, the run continues from
 * it; a checkpoint the Trainer refuses (written by another configuration, or damaged) is reported
 * and dropped, and the stage starts over rather than failing.
 */
import { rmSync } from 'node:fs';
import { isRetortError } from '../../util/errors.js';
import type { StageContext } from '../pipeline/stageKind.js';

export async function resumable<T>(ctx: Pick<StageContext, 'checkpoint' | 'log'>, stage: string, found: boolean, run: (resume: boolean) => Promise<T>): Promise<T> {
  if (found) {
    try {
      return await run(true);
    } catch (error) {
      if (!isRetortError(error) || error.code !== 'CHECKPOINT_INVALID') throw error;
      ctx.log(`${stage}: cannot resume from ${ctx.checkpoint} (${error.message}); starting over`);
    }
  }
  rmSync(ctx.checkpoint, { force: true });
  return run(false);
}
