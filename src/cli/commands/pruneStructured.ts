/**
 * `retort prune-structured MODEL --out FILE --target-macs 0.5`: remove whole channels (filters,
 * neurons) or residual branches so the ONNX graph itself gets smaller, then optionally fine-tune.
 * Transformers lose attention heads, MLP width or whole layers (`--structure heads|mlp|layers`,
 * ../transformerPruning.ts).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadModel, saveModel } from '../../onnx/model.js';
import type { ModelProto } from '../../onnx/proto.js';
import { calibrationSample } from '../../prune/plan.js';
import { IMPORTANCE_CRITERIA, PRUNE_STRUCTURES, pruneStructured, taylorCalibration, type Calibration, type PruneStructure } from '../../prune/structured/index.js';
import { countMacs, fineTune, loadDataFor, pct, testAccuracy } from '../compressionData.js';
import { formatFields, formatTable } from '../format.js';
import { parseTransformerStructures, runTransformerPruning, TRANSFORMER_IMPORTANCE, TRANSFORMER_STRUCTURES, type TransformerPruningFlags } from '../transformerPruning.js';
import { bad, choice, parseNumber } from '../trainingOptions.js';

interface Flags extends Omit<TransformerPruningFlags, 'out'> {
  out?: string; targetMacs?: string; structure: string; importance?: string; exclude?: string; data?: string;
  calibrationSize: string; fineTuneEpochs: string; lr?: string; batchSize: string; seed: string; threads: string; json?: boolean;
}

export function registerPruneStructured(program: Command): void {
  program
    .command('prune-structured')
    .description('Structured pruning that physically shrinks the ONNX graph: whole channels/neurons (a dependency analysis keeps residual Adds, BatchNorm, Flatten and Concat consistent) or whole residual branches, to a MAC target; for transformers, attention heads, MLP width and whole layers (Minitron style)')
    .argument('<model>', 'ONNX model file')
    .option('--out <file>', 'where to write the pruned model (required)')
    .option('--target-macs <x>', 'channels, blocks: fraction of the original MACs to keep, in (0, 1] (default 0.5)')
    .option('--structure <name>', `what to remove: ${[...PRUNE_STRUCTURES, ...TRANSFORMER_STRUCTURES].join(', ')} (blocks: residual branches y = F(x) + x -> x; heads: attention heads; mlp: MLP hidden units; layers: whole pre-LN transformer blocks; heads, mlp and layers combine as heads,mlp)`, 'channels')
    .option('--importance <name>', `channels, blocks: ${IMPORTANCE_CRITERIA.join(', ')} (default l1): filter L1/L2 norm (Li et al. 2017) or Taylor |w * dL/dw| on --calibration-size training samples (needs --data). heads, mlp, layers: ${TRANSFORMER_IMPORTANCE.join(', ')} (default activation): Minitron's activation statistics and ShortGPT's block influence on --calibration-size windows of --data text:PATH, or the L1/L2 norm of the weights`)
    .option('--keep-heads <n>', 'heads: attention heads kept in every layer')
    .option('--head-fraction <x>', 'heads: fraction of the heads kept instead, in (0, 1]')
    .option('--head-scope <scope>', 'heads: with --head-fraction, uniform (each layer keeps the fraction) or global (heads ranked across layers, at least one per layer)', 'uniform')
    .option('--mlp-fraction <x>', 'mlp: fraction of every MLP\'s hidden units kept, in (0, 1]')
    .option('--drop-layers <n>', 'layers: number of layers dropped, the least important first')
    .option('--drop-layer-indices <list>', 'layers: comma-separated 0-based layers dropped instead')
    .option('--context <n>', 'heads, mlp, layers: window length in tokens for calibration and validation (default the model\'s)')
    .option('--eval-windows <n>', 'heads, mlp, layers: validation windows scored for perplexity before and after (the last 10% of the text)', '128')
    .option('--exclude <names>', 'comma-separated group sources (node names) or residual Add names never pruned')
    .option('--data <name>', 'data for Taylor calibration, accuracy and fine-tuning (e.g. mnist); text:PATH for heads, mlp and layers (calibration, perplexity, fine-tuning)')
    .option('--calibration-size <n>', 'training samples for Taylor importance, or token windows for activation importance (seeded choice)', '256')
    .option('--fine-tune-epochs <n>', 'epochs of fine-tuning the smaller model (needs --data)', '0')
    .option('--steps-per-epoch <n>', 'text data: fine-tuning batches of random windows per epoch (default: as many as hold the training tokens once)')
    .option('--lr <x>', 'fine-tuning learning rate (default 0.01 with SGD, momentum 0.9; for text data 0.001 with AdamW)')
    .option('--batch-size <n>', 'fine-tuning batch size', '128')
    .option('--seed <n>', 'seed of the calibration choice and fine-tuning shuffles', '0')
    .option('--threads <n>', 'ORT intra-op threads, 0 to let ORT choose', '0')
    .option('--json', 'print the report as JSON')
    .action(async (modelPath: string, flags: Flags) => {
      if (!flags.out) throw bad('--out <file> is required');
      const transformer = parseTransformerStructures(flags.structure);
      if (transformer) {
        if (flags.targetMacs !== undefined || flags.exclude !== undefined) throw bad(`${flags.targetMacs !== undefined ? '--target-macs' : '--exclude'} applies to --structure channels and blocks; heads, mlp and layers take --keep-heads, --head-fraction, --mlp-fraction, --drop-layers`);
        await runTransformerPruning(modelPath, transformer, { ...flags, out: flags.out });
        return;
      }
      const targetMacs = parseNumber('--target-macs', flags.targetMacs ?? '0.5', 'positive');
      // Every structure in the message; heads, mlp and layers were taken above.
      const structure = choice('--structure', flags.structure, [...PRUNE_STRUCTURES, ...TRANSFORMER_STRUCTURES]) as PruneStructure;
      const importance = choice('--importance', flags.importance ?? 'l1', IMPORTANCE_CRITERIA);
      for (const [flag, value] of [['--keep-heads', flags.keepHeads], ['--head-fraction', flags.headFraction], ['--mlp-fraction', flags.mlpFraction], ['--drop-layers', flags.dropLayers], ['--drop-layer-indices', flags.dropLayerIndices], ['--context', flags.context], ['--steps-per-epoch', flags.stepsPerEpoch]] as const) {
        if (value !== undefined) throw bad(`${flag} needs --structure ${TRANSFORMER_STRUCTURES.join('|')}`);
      }
      const epochs = parseNumber('--fine-tune-epochs', flags.fineTuneEpochs, 'nonnegative-int');
      const seed = parseNumber('--seed', flags.seed, 'nonnegative-int');
      const threads = parseNumber('--threads', flags.threads, 'nonnegative-int');
      if (flags.data?.startsWith('text:')) throw bad(`--data ${flags.data}: text data is for --structure ${TRANSFORMER_STRUCTURES.join(', ')}`);
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
          pruned = await fineTune(pruned, data, { epochs, lr: parseNumber('--lr', flags.lr ?? '0.01', 'positive'), batchSize: parseNumber('--batch-size', flags.batchSize, 'positive-int'), seed, threads, silent: Boolean(flags.json) });
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
