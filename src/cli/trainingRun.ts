/**
 * The command-line side of the commands that train for epochs into an OUT folder (`retort train`,
 * `retort distill`): the training set with its --validation hold-out, and the --resume checks
 * against the run that wrote OUT/metrics.json. The runs themselves (model to train, epoch loop,
 * metrics) are library functions the recipe stages call too: src/train/classifierRun.ts,
 * src/train/epochLoop.ts, src/recipe/stages/distillRun.ts.
 */
import { existsSync } from 'node:fs';
import { splitValidation, subset, type Dataset } from '../data/dataset.js';
import { readMetrics } from '../train/epochLoop.js';
import type { ProgressMode } from '../train/progress.js';
import { RetortError } from '../util/errors.js';
import { bad } from './trainingOptions.js';

/** The first `limitTrain` training samples (all when null), the last `validationSize` of them held out. */
export function holdOutValidation(all: Dataset, limitTrain: number | null, validationSize: number): { train: Dataset; validation?: Dataset } {
  const train = limitTrain === null ? all : subset(all, limitTrain);
  if (validationSize === 0) return { train };
  if (validationSize >= train.length) throw bad(`--validation ${validationSize}: must be smaller than the ${train.length} training samples`);
  return splitValidation(train, { method: 'last', size: validationSize });
}

/** `--resume` needs the checkpoint; checked before any work. */
export function requireCheckpoint(resume: boolean | undefined, checkpointPath: string): void {
  if (resume && !existsSync(checkpointPath)) throw new RetortError('FILE_NOT_FOUND', `--resume: no checkpoint at ${checkpointPath}`);
}

/**
 * With --resume, the metrics the interrupted run wrote (null when unreadable), after checking that it
 * describes this run in `fields` (the Trainer checks the rest against the checkpoint).
 */
export function previousRun<M extends { config: object }>(resume: boolean | undefined, metricsPath: string, config: M['config'], fields: readonly (keyof M['config'] & string)[]): M | null {
  const previous = resume ? readMetrics<M>(metricsPath) : null;
  if (previous) {
    const [recorded, wanted] = [previous.config as Record<string, unknown>, config as Record<string, unknown>];
    const differing = fields.filter((k) => JSON.stringify(recorded[k]) !== JSON.stringify(wanted[k]));
    if (differing.length > 0) {
      throw new RetortError('CHECKPOINT_INVALID', `--resume: ${metricsPath} records another run (${differing.map((k) => `${k} ${JSON.stringify(recorded[k])}`).join(', ')}); it cannot resume this one`);
    }
  }
  return previous;
}

/** How a command's run reports and resumes: from its checkpoint with --resume; a progress bar and a line per epoch on stderr unless --json. */
export function commandRun(flags: { resume?: boolean; json?: boolean }, started: number): { resume: boolean; progress: ProgressMode; note: (line: string) => void; started: number } {
  return {
    resume: Boolean(flags.resume),
    progress: flags.json ? 'silent' : 'auto',
    note: (line) => {
      if (!flags.json) process.stderr.write(`${line}\n`);
    },
    started,
  };
}

/** The metrics as JSON on stdout with the command line, or the command's table. */
export function printRun<M>(metrics: M, json: boolean | undefined, argv: readonly string[], print: (metrics: M) => void): void {
  if (json) process.stdout.write(JSON.stringify({ ...metrics, command: argv.slice(2) }, null, 2) + '\n');
  else print(metrics);
}
