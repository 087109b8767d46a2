/**
 * `retort compress-deep MODEL --out DIR`: Deep Compression (Han et al. 2016): magnitude pruning with
 * masked retraining (src/prune), per-layer k-means weight sharing with centroid fine-tuning, Huffman
 * coding; writes the .retort-dc file, the decoded-equivalent ONNX and a report in the paper's layout.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { deepCompress, deepCompressionSummary, type PruneStage } from '../../encode/index.js';
import { loadModel, saveModel } from '../../onnx/model.js';
import { prune as pruneWeights } from '../../prune/prune.js';
import { retrainWithMasks } from '../../prune/maskedTraining.js';
import { writeFileAtomic } from '../../util/atomicWrite.js';
import { fineTuneConfig, loadDataFor, pct, testAccuracy, type FineTuneFlags } from '../compressionData.js';
import { formatFields, formatTable } from '../format.js';
import { LAYER_SPARSITY_HELP, parseLayerSparsity } from '../layerSparsity.js';
import { bad, parseNumber } from '../trainingOptions.js';

interface Flags {
  out?: string; sparsity?: string; layerSparsity?: string; clustersConv: string; clustersFc: string; indexBitsConv: string; indexBitsFc: string; data?: string;
  pruneEpochs: string; fineTuneEpochs: string; lr: string; batchSize: string; seed: string; threads: string; json?: boolean;
}

export function registerCompressDeep(program: Command): void {
  program
    .command('compress-deep')
    .description('Deep Compression (Han et al. 2016): prune by magnitude (+ masked retraining), share weights by per-layer k-means (+ centroid fine-tuning), Huffman-code indices and positions; writes DIR/model.retort-dc, DIR/model.onnx (what it decodes to), DIR/pruned.onnx and DIR/report.json')
    .argument('<model>', 'ONNX model file')
    .option('--out <dir>', 'output folder (required)')
    .option('--sparsity <x>', 'fraction of each layer\'s weights pruned by magnitude, in [0, 1) (default 0.9; 0 for the layers --layer-sparsity does not name)')
    .option('--layer-sparsity <list>', `${LAYER_SPARSITY_HELP}; they override --sparsity for those layers`)
    .option('--clusters-conv <n>', 'k-means clusters per conv layer (the paper: 256)', '256')
    .option('--clusters-fc <n>', 'k-means clusters per fc layer (the paper: 32)', '32')
    .option('--index-bits-conv <n>', 'relative-index width for conv layers (the paper: 8)', '8')
    .option('--index-bits-fc <n>', 'relative-index width for fc layers (the paper: 5)', '5')
    .option('--data <name>', 'data for retraining and accuracy (e.g. mnist)')
    .option('--prune-epochs <n>', 'masked retraining epochs after pruning (needs --data)', '0')
    .option('--fine-tune-epochs <n>', 'centroid fine-tuning epochs after clustering (needs --data)', '0')
    .option('--lr <x>', 'retraining learning rate (SGD, momentum 0.9)', '0.01')
    .option('--batch-size <n>', 'retraining batch size', '128')
    .option('--seed <n>', 'retraining shuffle seed', '0')
    .option('--threads <n>', 'ORT intra-op threads, 0 to let ORT choose', '0')
    .option('--json', 'print the report as JSON')
    .action(async (modelPath: string, flags: Flags) => {
      if (!flags.out) throw bad('--out <dir> is required');
      const perLayer = flags.layerSparsity === undefined ? undefined : parseLayerSparsity(flags.layerSparsity);
      // With per-layer sparsities, the layers not named stay dense unless --sparsity is given (as in retort prune).
      const sparsity = flags.sparsity === undefined ? (perLayer ? 0 : 0.9) : Number(flags.sparsity);
      if (!(sparsity >= 0 && sparsity < 1)) throw bad(`--sparsity "${flags.sparsity}": expected a fraction in [0, 1)`);
      const pruneEpochs = parseNumber('--prune-epochs', flags.pruneEpochs, 'nonnegative-int');
      const centroidEpochs = parseNumber('--fine-tune-epochs', flags.fineTuneEpochs, 'nonnegative-int');
      if ((pruneEpochs > 0 || centroidEpochs > 0) && !flags.data) throw bad('--prune-epochs and --fine-tune-epochs need --data');
      const threads = parseNumber('--threads', flags.threads, 'nonnegative-int');
      const train = (epochs: number): FineTuneFlags => ({
        epochs, lr: parseNumber('--lr', flags.lr, 'positive'), batchSize: parseNumber('--batch-size', flags.batchSize, 'positive-int'),
        seed: parseNumber('--seed', flags.seed, 'nonnegative-int'), threads, silent: Boolean(flags.json),
      });
      const model = loadModel(resolve(modelPath));
      const data = flags.data ? loadDataFor(flags.data, model) : undefined;
      const prune: PruneStage = async (m) => {
        const pruned = pruneWeights(m, { importance: { method: 'magnitude' }, selection: { pattern: 'unstructured', sparsity, scope: 'layer', ...(perLayer ? { perLayer } : {}) } });
        if (pruneEpochs === 0 || !data) return pruned.model;
        return (await retrainWithMasks(pruned.model, pruned.masks, fineTuneConfig(train(pruneEpochs)), { train: data.train })).trainedModel;
      };
      const result = await deepCompress(model, {
        prune,
        sharing: { clustersConv: parseNumber('--clusters-conv', flags.clustersConv, 'positive-int'), clustersFc: parseNumber('--clusters-fc', flags.clustersFc, 'positive-int') },
        indexBits: { conv: parseNumber('--index-bits-conv', flags.indexBitsConv, 'positive-int'), fc: parseNumber('--index-bits-fc', flags.indexBitsFc, 'positive-int') },
        fineTune: data && centroidEpochs > 0 ? { config: fineTuneConfig(train(centroidEpochs)), data: { train: data.train } } : undefined,
      });
      // deepCompress has checked that the file decodes to exactly the model written beside it.
      const dir = resolve(flags.out);
      mkdirSync(dir, { recursive: true });
      writeFileAtomic(join(dir, 'model.retort-dc'), result.bytes);
      saveModel(result.model, join(dir, 'model.onnx'));
      saveModel(result.pruned, join(dir, 'pruned.onnx'));
      const summary = deepCompressionSummary(model, result);
      const accuracy: Record<string, number> = {};
      if (data) {
        accuracy.original = await testAccuracy(model, data, threads);
        accuracy.pruned = await testAccuracy(result.pruned, data, threads);
        accuracy.compressed = await testAccuracy(result.model, data, threads);
      }
      const report = { model: modelPath, sparsity, layerSparsity: perLayer ?? null, originalBytes: summary.originalBytes, compressedBytes: summary.compressedBytes, layers: summary.layers, total: summary.total, accuracy, fineTuneHistory: result.fineTuneHistory };
      writeFileAtomic(join(dir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
      if (flags.json) {
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        return;
      }
      const f = (x: number): string => x.toFixed(2);
      const rows = [...result.sizes, result.total].map((r) => [r.layer, r.weights, pct(r.weightsFraction), f(r.weightBitsPQ), f(r.weightBitsPQH), f(r.indexBitsPQ), f(r.indexBitsPQH), `${f(r.compressRatePQ)}x`, `${f(r.compressRatePQH)}x`]);
      process.stdout.write(formatTable(['layer', '#weights', 'weights% (P)', 'weight bits (P+Q)', 'weight bits (P+Q+H)', 'index bits (P+Q)', 'index bits (P+Q+H)', 'compress rate (P+Q)', 'compress rate (P+Q+H)'], rows) + '\n\n');
      const fields: [string, string][] = [['file sizes', `${summary.originalBytes} B ONNX -> ${summary.compressedBytes} B .retort-dc (${f(summary.fileRatio)}x, graph and biases included)`]];
      for (const [k, v] of Object.entries(accuracy)) fields.push([`test accuracy ${k}`, pct(v)]);
      fields.push(['written', dir]);
      process.stdout.write(formatFields(fields) + '\n');
    });
}
