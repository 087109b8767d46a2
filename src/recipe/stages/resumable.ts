/**
 * Resuming a training stage: when an interrupted attempt left a checkpoint, the run continues from
 * it; a checkpoint the Trainer refuses (written by another configuration, or damaged) is reported
 * and dropped, and the stage starts over rather than failing.
 */
import { rmSync } from 'node:fs';
import { readMetrics } from '../../train/epochLoop.js';
import type { ProgressMode } from '../../train/progress.js';
import { isRetortError } from '../../util/errors.js';
import type { StageContext } from '../pipeline/stageKind.js';
import { resumePoint } from './compressionOutput.js';

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

/** How a stage's epoch run (`retort train`/`distill`'s run functions) resumes and reports. */
export interface StageRunReporting<M> {
  resume: boolean;
  /** The record the interrupted attempt left in the metrics file (its finished epochs are kept), or null. */
  previous: M | null;
  progress: ProgressMode;
  note: (line: string) => void;
}

/**
 * A training run that records its epochs in `metricsFile`: from ctx.checkpoint when an interrupted
 * attempt left one (resumable), with bars or periodic lines as the run asks and notes to its log.
 */
export function resumableRun<M, T>(ctx: Pick<StageContext, 'checkpoint' | 'log' | 'progress'>, stage: string, metricsFile: string, run: (reporting: StageRunReporting<M>) => Promise<T>): Promise<T> {
  return resumable(ctx, stage, resumePoint(ctx) !== undefined, (resume) =>
    run({ resume, previous: resume ? readMetrics<M>(metricsFile) : null, progress: ctx.progress ? 'auto' : 'silent', note: ctx.log }),
  );
}
