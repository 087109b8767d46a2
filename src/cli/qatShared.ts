/** What `retort qat` and `retort ternarize` share: the Trainer config from the common training flags. */
import { batchCount } from '../data/batches.js';
import type { TrainerConfig } from '../train/trainer.js';
import { choice, defaultLr, optimizerSpec, parseNumber, scheduleSpec, SCHEDULES, type OptimizerFlags, type ScheduleFlags } from './trainingOptions.js';
import { OPTIMIZER_KINDS } from '../train/optimizers/index.js';

export interface TrainFlags extends OptimizerFlags, ScheduleFlags {
  optimizer: string;
  lr?: string;
  schedule: string;
  epochs: string;
  batchSize: string;
  seed: string;
  threads: string;
  json?: boolean;
}

export function trainerConfigFrom(flags: TrainFlags, trainLength: number): TrainerConfig {
  const optimizer = choice('--optimizer', flags.optimizer, OPTIMIZER_KINDS);
  const epochs = parseNumber('--epochs', flags.epochs, 'positive-int');
  const batchSize = parseNumber('--batch-size', flags.batchSize, 'positive-int');
  const lr = parseNumber('--lr', flags.lr ?? defaultLr(optimizer), 'positive');
  const perEpoch = batchCount(trainLength, batchSize, true);
  return {
    batchSize, epochs, seed: parseNumber('--seed', flags.seed, 'nonnegative-int'), threads: parseNumber('--threads', flags.threads, 'nonnegative-int'),
    progress: flags.json ? 'silent' : 'auto',
    optimizer: optimizerSpec(flags, optimizer),
    schedule: scheduleSpec(flags, choice('--schedule', flags.schedule, SCHEDULES), lr, epochs * perEpoch, perEpoch),
  };
}
