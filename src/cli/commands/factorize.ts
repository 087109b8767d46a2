/** `retort factorize MODEL --out FILE --energy 0.9`: SVD low-rank factorization of Gemm/MatMul/Conv layers. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadModel, saveModel } from '../../onnx/model.js';
import type { ModelProto } from '../../onnx/proto.js';
import { factorizeModel, type RankPolicy } from '../../lowrank/index.js';
import { fineTune, loadDataFor, pct, testAccuracy } from '../compressionData.js';
import { formatFields, formatTable } from '../format.js';
import { bad, parseNumber } from '../trainingOptions.js';

interface Flags {
  out?: string; energy?: string; rankBudget?: string; layers?: string; report?: boolean; data?: string;
  fineTuneEpochs: string; lr: string; batchSize: string; seed: string; threads: string; json?: boolean;
}

export function registerFactorize(program: Command): void {
  program
    .command('factorize')
    .description('Low-rank factorization: each Gemm/MatMul weight W = U S V^T becomes two layers through a rank-r bottleneck, each Conv a kxk conv with r filters then a 1x1 conv; layers whose factors would not be smaller stay as they are')
    .argument('<model>', 'ONNX model file')
    .option('--out <file>', 'where to write the factorized model (required)')
    .option('--energy <x>', 'rank per layer: smallest keeping this fraction of sum(s^2), in (0, 1]')
    .option('--rank-budget <x>', 'rank per layer: largest whose factors hold at most this fraction of the layer\'s parameters')
    .option('--layers <names>', 'comma-separated node names to factorize (default: all that can be)')
    .option('--report', 'print each layer\'s singular-value spectrum')
    .option('--data <name>', 'data for accuracy and fine-tuning (e.g. mnist)')
    .option('--fine-tune-epochs <n>', 'epochs of fine-tuning after factorizing (needs --data)', '0')
    .option('--lr <x>', 'fine-tuning learning rate (SGD, momentum 0.9)', '0.01')
    .option('--batch-size <n>', 'fine-tuning batch size', '128')
    .option('--seed <n>', 'fine-tuning shuffle seed', '0')
    .option('--threads <n>', 'ORT intra-op threads, 0 to let ORT choose', '0')
    .option('--json', 'print the report (spectra included) as JSON')
    .action(async (modelPath: string, flags: Flags) => {
      if (!flags.out) throw bad('--out <file> is required');
      if ((flags.energy === undefined) === (flags.rankBudget === undefined)) throw bad('give exactly one of --energy and --rank-budget');
      const policy: RankPolicy = flags.energy !== undefined
        ? { method: 'energy', energy: parseNumber('--energy', flags.energy, 'positive') }
        : { method: 'budget', fraction: parseNumber('--rank-budget', flags.rankBudget!, 'positive') };
      const epochs = parseNumber('--fine-tune-epochs', flags.fineTuneEpochs, 'nonnegative-int');
      const threads = parseNumber('--threads', flags.threads, 'nonnegative-int');
      if (epochs > 0 && !flags.data) throw bad('--fine-tune-epochs needs --data');
      const model = loadModel(resolve(modelPath));
      const result = factorizeModel(model, { policy, layers: flags.layers?.split(',').map((s) => s.trim()) });
      let out: ModelProto = result.model;
      const accuracy: Record<string, number> = {};
      if (flags.data) {
        const data = loadDataFor(flags.data, model);
        accuracy.before = await testAccuracy(model, data, threads);
        accuracy.factorized = await testAccuracy(out, data, threads);
        if (epochs > 0) {
          out = await fineTune(out, data, { epochs, lr: parseNumber('--lr', flags.lr, 'positive'), batchSize: parseNumber('--batch-size', flags.batchSize, 'positive-int'), seed: parseNumber('--seed', flags.seed, 'nonnegative-int'), threads, silent: Boolean(flags.json) });
          accuracy.fineTuned = await testAccuracy(out, data, threads);
        }
      }
      saveModel(out, resolve(flags.out));
      if (flags.json) {
        process.stdout.write(JSON.stringify({ model: modelPath, out: flags.out, policy, layers: result.layers, accuracy }, null, 2) + '\n');
        return;
      }
      const rows = result.layers.map((l) => [l.node, `${l.shape[0]}x${l.shape[1]}`, l.rank, l.fullRank, pct(l.energy), l.paramsBefore, l.paramsAfter, l.factorized ? 'factorized' : 'kept (factors not smaller)']);
      process.stdout.write(formatTable(['layer', 'W [out x in]', 'rank', 'full rank', 'energy kept', 'params before', 'params after', ''], rows) + '\n');
      if (flags.report) {
        for (const l of result.layers) process.stdout.write(`\n${l.node} singular values: ${l.spectrum.map((s) => s.toPrecision(4)).join(' ')}\n`);
      }
      const before = result.layers.reduce((a, l) => a + l.paramsBefore, 0);
      const after = result.layers.reduce((a, l) => a + l.paramsAfter, 0);
      const fields: [string, string][] = [['layer parameters', `${before} -> ${after} (${pct(after / Math.max(1, before))})`]];
      for (const [k, v] of Object.entries(accuracy)) fields.push([`test accuracy ${k}`, pct(v)]);
      fields.push(['written', flags.out]);
      process.stdout.write('\n' + formatFields(fields) + '\n');
    });
}
