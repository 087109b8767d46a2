/**
 * `retort prune-structured MODEL --out FILE --target-macs 0.5`: remove whole channels (filters,
 * neurons) or residual branches so the ONNX graph itself gets smaller, then optionally fine-tune.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadModel, saveModel } from '../../onnx/model.js';
import type { ModelProto } from '../../onnx/proto.js';
import { calibrationSample } from '../../prune/plan.js';
import { IMPORTANCE_CRITERIA, PRUNE_STRUCTURES, pruneStructured, taylorCalibration, type Calibration } from '../../prune/structured/index.js';
import { countMacs, fineTune, loadDataFor, pct, testAccuracy } from '../compressionData.js';
import { formatFields, formatTable } from '../format.js';
import { bad, choice, parseNumber } from '../trainingOptions.js';

interface Flags {
  out?: string; targetMacs: string; structure: string; importance: string; exclude?: string; data?: string;
  calibrationSize: string; fineTuneEpochs: string; lr: string; batchSize: string; seed: string; threads: string; json?: boolean;
}

export function registerPruneStructured(program: Command): void {
  program
    .command('prune-structured')
    .description('Structured pruning that physically shrinks the ONNX graph: whole channels/neurons (a dependency analysis keeps residual Adds, BatchNorm, Flatten and Concat consistent) or whole residual branches, to a MAC target')
    .argument('<model>', 'ONNX model file')
    .option('--out <file>', 'where to write the pruned model (required)')
    .option('--target-macs <x>', 'fraction of the original MACs to keep, in (0, 1]', '0.5')
    .option('--structure <name>', `what to remove: ${PRUNE_STRUCTURES.join(', ')} (blocks: residual branches y = F(x) + x -> x)`, 'channels')
    .option('--importance <name>', `${IMPORTANCE_CRITERIA.join(', ')}: filter L1/L2 norm (Li et al. 2017) or Taylor |w * dL/dw| on --calibration-size training samples (needs --data)`, 'l1')
    .option('--exclude <names>', 'comma-separated group sources (node names) or residual Add names never pruned')
    .option('--data <name>', 'data for Taylor calibration, accuracy and fine-tuning (e.g. mnist)')
    .option('--calibration-size <n>', 'training samples for Taylor importance (seeded choice)', '256')
    .option('--fine-tune-epochs <n>', 'epochs of fine-tuning the smaller model (needs --data)', '0')
    .option('--lr <x>', 'fine-tuning learning rate (SGD, momentum 0.9)', '0.01')
    .option('--batch-size <n>', 'fine-tuning batch size', '128')
    .option('--seed <n>', 'seed of the calibration choice and fine-tuning shuffles', '0')
    .option('--threads <n>', 'ORT intra-op threads, 0 to let ORT choose', '0')
    .option('--json', 'print the report as JSON')
    .action(async (modelPath: string, flags: Flags) => {
      if (!flags.out) throw bad('--out <file> is required');
      const targetMacs = parseNumber('--target-macs', flags.targetMacs, 'positive');
      const structure = choice('--structure', flags.structure, PRUNE_STRUCTURES);
      const importance = choice('--importance', flags.importance, IMPORTANCE_CRITERIA);
      const epochs = parseNumber('--fine-tune-epochs', flags.fineTuneEpochs, 'nonnegative-int');
      const seed = parseNumber('--seed', flags.seed, 'nonnegative-int');
      const threads = parseNumber('--threads', flags.threads, 'nonnegative-int');
      if ((importance === 'taylor' || epochs > 0) && !flags.data) throw bad(`${importance === 'taylor' ? '--importance taylor' : '--fine-tune-epochs'} needs --data`);
      const model = loadModel(resolve(modelPath));
      const data = flags.data ? loadDataFor(flags.data, model) : undefined;
      let calibration: Calibration | undefined;
      if (data && importance === 'taylor') {
        const size = parseNumber('--calibration-size', flags.calibrationSize, 'positive-int');
        calibration = taylorCalibration(model, calibrationSample(data.train, size, seed));
      }
      const result = await pruneStructured(model, { structure, targetMacs, importance, countMacs, calibration, exclude: flags.exclude?.split(',').map((s) => s.trim()) });
      let pruned: ModelProto = result.model;
      const accuracy: Record<string, number> = {};
      if (data) {
        accuracy.before = await testAccuracy(model, data, threads);
        accuracy.pruned = await testAccuracy(pruned, data, threads);
        if (epochs > 0) {
          pruned = await fineTune(pruned, data, { epochs, lr: parseNumber('--lr', flags.lr, 'positive'), batchSize: parseNumber('--batch-size', flags.batchSize, 'positive-int'), seed, threads, silent: Boolean(flags.json) });
          accuracy.fineTuned = await testAccuracy(pruned, data, threads);
        }
      }
      saveModel(pruned, resolve(flags.out));
      const report = { model: modelPath, out: flags.out, structure, importance, targetMacs, macsBefore: result.macsBefore, macsAfter: result.macsAfter, keepRatio: result.keepRatio, groups: result.groups, removedBranches: result.removedBranches, accuracy };
      if (flags.json) {
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        return;
      }
      if (structure === 'channels') {
        process.stdout.write(formatTable(['group (source)', 'producers', 'channels', 'kept', 'status'], result.groups.map((g) => [g.source, g.producers.join(' + '), g.channels, g.kept, g.blocked ?? 'pruned'])) + '\n\n');
      } else {
        process.stdout.write(formatTable(['removed branch (Add)', 'nodes', 'parameters'], result.removedBranches.map((b) => [b.add, b.nodes.length, b.parameters.join(', ')])) + '\n\n');
      }
      const fields: [string, string][] = [['MACs (batch 1)', `${result.macsBefore} -> ${result.macsAfter} (${pct(result.macsAfter / result.macsBefore)})`]];
      for (const [k, v] of Object.entries(accuracy)) fields.push([`test accuracy ${k}`, pct(v)]);
      fields.push(['written', flags.out]);
      process.stdout.write(formatFields(fields) + '\n');
    });
}
