/**
 * `retort ternarize MODEL --out FILE`: ternary (TWN, Li et al. 2016) or binary (BinaryConnect,
 * Courbariaux et al. 2015) weights trained with the straight-through estimator from a float model;
 * written as int8 codes {-1, 0, +1} with the codebook scale in DequantizeLinear (plain ORT loads it),
 * with the packed size (2 or 1 bits per weight plus codebooks) reported per layer.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DATA_SOURCES } from '../../data/sources.js';
import { loadModel, saveModel } from '../../onnx/model.js';
import { LOW_BIT_METHODS, trainLowBitWeights, type LowBitMethod } from '../../quantize/qat/index.js';
import { formatBytes, formatFields, formatTable } from '../format.js';
import { loadDataFor, pct, testAccuracy } from '../compressionData.js';
import { addTrainingOptions, trainerConfigFrom, type TrainFlags } from '../qatShared.js';
import { bad, choice, parseNumber } from '../trainingOptions.js';

interface TernarizeFlags extends TrainFlags {
  out: string;
  data: string;
  method: string;
  threshold: string;
  binaryScale: string;
}

async function runTernarize(modelPath: string, flags: TernarizeFlags, argv: readonly string[]): Promise<void> {
  const method = choice('--method', flags.method, LOW_BIT_METHODS);
  const binaryScale = choice('--binary-scale', flags.binaryScale, ['per-layer', 'per-channel'] as const);
  if (method === 'binary' && flags.threshold !== '0.7') throw bad('--threshold applies to --method twn');
  const weights: LowBitMethod = method === 'twn' ? { method, thresholdFactor: parseNumber('--threshold', flags.threshold, 'positive') } : { method, scale: binaryScale };
  const model = loadModel(resolve(modelPath));
  const data = loadDataFor(choice('--data', flags.data, DATA_SOURCES), model);
  const config = trainerConfigFrom(flags, data.train.length);
  const float = await testAccuracy(model, data, config.threads ?? 0);
  const result = await trainLowBitWeights({ model, data: { train: data.train }, trainer: config, lowBit: { weights } });
  saveModel(result.model, resolve(flags.out));
  const accuracy = await testAccuracy(result.model, data, config.threads ?? 0);
  const summary = { model: resolve(modelPath), out: resolve(flags.out), weights, testAccuracy: { float, lowBit: accuracy }, layers: result.layers, packedBytes: result.packedBytes, floatBytes: result.floatBytes, command: argv.slice(2) };
  if (flags.json) {
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    return;
  }
  const rows = result.layers.map((l) => [l.weight, l.count, l.bitsPerWeight, l.codebook.length > 3 ? `±α per channel (${l.codebook.length})` : l.codebook.map((c) => c.toPrecision(4)).join(', '), pct(l.sparsity), formatBytes(l.packedBytes)]);
  process.stdout.write(formatTable(['weight', 'count', 'bits', 'codebook', 'zeros', 'packed'], rows) + '\n');
  process.stdout.write(formatFields([
    ['float test accuracy', pct(float)],
    [`${method} test accuracy`, pct(accuracy)],
    ['parameters', `${formatBytes(result.floatBytes)} float -> ${formatBytes(result.packedBytes)} packed`],
    ['written', resolve(flags.out)],
  ]) + '\n');
}

export function registerTernarize(program: Command): void {
  const command = program
    .command('ternarize')
    .argument('<model>', 'float ONNX classifier to start from')
    .description(
      'Train ternary (twn: Δ = 0.7·mean|W|, α = mean|W| over |W| > Δ, per layer) or binary (BinaryConnect sign(W), scaled by mean|W|, latent weights clipped to [-1, 1]) ' +
        'Conv/Gemm/MatMul weights with the straight-through estimator; activations and biases stay float. Writes int8 codes with the codebook scale (DequantizeLinear) and reports the packed size.',
    )
    .requiredOption('--out <file>', 'where to write the model')
    .option('--method <name>', `${LOW_BIT_METHODS.join(', ')}`, 'twn')
    .option('--threshold <x>', 'twn: Δ as a fraction of mean|W|', '0.7')
    .option('--binary-scale <kind>', 'binary: α per-layer or per-channel (XNOR-Net style)', 'per-layer')
    .option('--data <name>', `training and test data: ${DATA_SOURCES.join(', ')}`, 'mnist');
  addTrainingOptions(command, '10').action(async (model: string, flags: TernarizeFlags) => runTernarize(model, flags, process.argv));
}
