/** What `retort qat` and `retort ternarize` share: the training options and the Trainer config from them. */
import type { Command } from 'commander';
import { batchCount } from '../data/batches.js';
import type { TrainerConfig } from '../train/trainer.js';
import { optimizationOptions, parseNumber, parseTrainingFlags, scheduleFor, type TrainingFlags } from './trainingOptions.js';

export type TrainFlags = TrainingFlags;

export function trainerConfigFrom(flags: TrainFlags, trainLength: number): TrainerConfig {
  const settings = parseTrainingFlags(flags);
  const { epochs, batchSize } = settings;
  const perEpoch = batchCount(trainLength, batchSize, true);
  return {
    batchSize, epochs, seed: settings.seed, threads: parseNumber('--threads', flags.threads, 'nonnegative-int'),
    progress: flags.json ? 'silent' : 'auto',
    optimizer: settings.optimizer,
    schedule: scheduleFor(flags, settings, perEpoch),
  };
}

/** --epochs (default `epochs`), --batch-size, the optimizer and schedule options, --seed, --threads and --json. */
export function addTrainingOptions(command: Command, epochs: string): Command {
  command
    .option('--epochs <n>', 'training epochs', epochs)
    .option('--batch-size <n>', 'batch size', '128');
  for (const option of optimizationOptions()) command.addOption(option);
  return command
    .option('--seed <n>', 'seed of the shuffles', '0')
    .option('--threads <n>', 'ORT intra-op threads, 0 to let ORT choose', '0')
    .option('--json', 'print the report as JSON (no tables, no progress)');
}
