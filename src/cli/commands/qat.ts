/**
 * `retort qat MODEL --out FILE`: quantization-aware training. Fake quantization (QuantizeLinear/
 * DequantizeLinear as float ops with a straight-through gradient) on weights (per-channel) and
 * activations (per-tensor), scales observed or learned (LSQ), optionally distilled from a float
 * teacher (Polino et al. 2018); written as a QDQ model like static PTQ's. Reports test accuracy of the
 * float model, of static PTQ with the same calibration, and of the QAT model.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadModel, saveModel } from '../../onnx/model.js';
import { quantizeStatic } from '../../quantize/static.js';
import { modelCalibrationReader } from '../../quantize/calibration/reader.js';
import { CALIBRATORS, parseCalibrator } from '../../quantize/options.js';
import { defaultBias, defaultQatOptions, quantizationAwareTraining, QAT_CALIBRATION_BATCH, staticEquivalent, SCALE_MODES, STRAIGHT_THROUGH, type QatOptions } from '../../quantize/qat/index.js';
import { distillingTrainer } from '../../recipe/joint/distillingTrainer.js';
import { DATA_SOURCES } from '../../data/sources.js';
import { formatFields } from '../format.js';
import { loadDataFor, pct, testAccuracy } from '../compressionData.js';
import { addTrainingOptions, trainerConfigFrom, type TrainFlags } from '../qatShared.js';
import { bad, choice, parseNumber } from '../trainingOptions.js';

interface QatFlags extends TrainFlags {
  out: string;
  data: string;
  bits: string;
  perChannel: boolean;
  scales: string;
  momentum?: string;
  observerMomentum: string;
  ste: string;
  fromPtq?: boolean;
  calibrator: string;
  calibrationSize: string;
  bias?: string;
  teacher?: string;
  temperature: string;
  alpha: string;
}

function qatOptions(flags: QatFlags): QatOptions {
  const bits = parseNumber('--bits', flags.bits, 'positive-int');
  const scales = choice('--scales', flags.scales, SCALE_MODES);
  const ste = choice('--ste', flags.ste, STRAIGHT_THROUGH);
  const bias = choice('--bias', flags.bias ?? defaultBias(bits), ['int32', 'float'] as const);
  if (!flags.fromPtq && flags.calibrator !== 'minmax') throw bad('--calibrator applies to --from-ptq (without it the ranges start from the first batch\'s min/max)');
  return defaultQatOptions({
    bits, ste, bias,
    weights: { granularity: flags.perChannel ? 'per-channel' : 'per-tensor' },
    scales: scales === 'learned' ? { kind: 'learned' } : { kind: 'observed', momentum: parseNumber('--observer-momentum', flags.observerMomentum, 'nonnegative') },
    init: flags.fromPtq ? { from: 'ptq', calibrator: parseCalibrator(flags.calibrator) } : { from: 'float' },
  });
}

async function runQat(modelPath: string, flags: QatFlags, argv: readonly string[]): Promise<void> {
  const options = qatOptions(flags);
  const model = loadModel(resolve(modelPath));
  const data = loadDataFor(choice('--data', flags.data, DATA_SOURCES), model);
  const config = trainerConfigFrom(flags, data.train.length);
  const calibrationSize = parseNumber('--calibration-size', flags.calibrationSize, 'positive-int');
  const reader = () => modelCalibrationReader(model, data.train, { size: calibrationSize, batchSize: QAT_CALIBRATION_BATCH });
  const temperature = parseNumber('--temperature', flags.temperature, 'positive');
  const alpha = parseNumber('--alpha', flags.alpha, 'nonnegative');
  if (!flags.teacher && (flags.temperature !== '4' || flags.alpha !== '0.5')) throw bad('--temperature and --alpha apply to distillation: give --teacher');

  const float = await testAccuracy(model, data, config.threads ?? 0);
  const ptqOptions = staticEquivalent(options);
  const ptq = ptqOptions ? await testAccuracy((await quantizeStatic(model, ptqOptions, reader())).model, data, config.threads ?? 0) : undefined;
  const teacher = flags.teacher ? loadModel(resolve(flags.teacher)) : undefined;
  const { model: quantized } = await quantizationAwareTraining({
    model, data: { train: data.train }, trainer: config, quantization: options, calibration: reader(),
    open: teacher ? distillingTrainer(teacher, { temperature, alpha }) : undefined,
  });
  saveModel(quantized, resolve(flags.out));
  const qat = await testAccuracy(quantized, data, config.threads ?? 0);
  const summary = { model: resolve(modelPath), out: resolve(flags.out), options, teacher: flags.teacher ?? null, testAccuracy: { float, ptq: ptq ?? null, qat }, command: argv.slice(2) };
  if (flags.json) {
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    return;
  }
  const fields: [string, string][] = [['float test accuracy', pct(float)]];
  if (ptq !== undefined) fields.push([`static PTQ (${options.init.from === 'ptq' ? options.init.calibrator.method : ''})`, pct(ptq)]);
  fields.push([`QAT ${options.bits}-bit`, pct(qat)], ['change', `${(100 * (qat - float)).toFixed(2)} points`], ['written', resolve(flags.out)]);
  process.stdout.write(formatFields(fields) + '\n');
}

export function registerQat(program: Command): void {
  const command = program
    .command('qat')
    .argument('<model>', 'trained float ONNX classifier (opset 13 or later)')
    .description(
      'Quantization-aware training: fake quantization with a straight-through gradient on Conv/Gemm/MatMul weights (symmetric int8, per output channel) and on the ' +
        'activations static PTQ quantizes (per tensor, uint8 asymmetric), BatchNorm folded first; then writes the QDQ model (the format of static PTQ) and reports test accuracy.',
    )
    .requiredOption('--out <file>', 'where to write the quantized (QDQ) model')
    .option('--data <name>', `training and test data: ${DATA_SOURCES.join(', ')}`, 'mnist')
    .option('--bits <n>', 'bits of weights and activations, 2-8 (codes stored in int8/uint8; below 8 bits a Clip precedes each activation QuantizeLinear)', '8')
    .option('--per-channel', 'one weight scale per output channel (default)', true)
    .option('--no-per-channel', 'one weight scale per tensor')
    .option('--scales <mode>', `observed (weights: max|W| each step; activations: moving-average min/max carried like BatchNorm statistics) or learned (LSQ, Esser et al. 2020, gradient scale 1/sqrt(N*Qp)): ${SCALE_MODES.join(', ')}`, 'observed')
    .option('--observer-momentum <x>', 'observed scales: weight of the old range in the moving average', '0.99')
    .option('--ste <name>', `straight-through estimator: plain (dX = dY) or clipped (dX = dY inside [s(qmin-zp), s(qmax-zp)], else 0): ${STRAIGHT_THROUGH.join(', ')}`, 'clipped')
    .option('--from-ptq', 'hybrid PTQ -> QAT: initial activation ranges from static-PTQ calibration with --calibrator over --calibration-size images (also reports the PTQ model\'s accuracy); default: the first batch\'s min/max')
    .option('--calibrator <name>', `PTQ calibrator for --from-ptq: ${CALIBRATORS.join(', ')}`, 'minmax')
    .option('--calibration-size <n>', 'training images for the initial ranges', '1024')
    .option('--bias <kind>', 'int32 (at input scale x weight scale, as static PTQ; default at 8 bits) or float (default below 8 bits, where the int32 rounding step is coarse)')
    .option('--teacher <file>', 'distil from this float teacher while training (quantized distillation, Polino et al. 2018)')
    .option('--temperature <t>', 'distillation temperature', '4')
    .option('--alpha <a>', 'weight of the hard-label loss; the teacher term gets 1 - alpha', '0.5');
  addTrainingOptions(command, '1').action(async (model: string, flags: QatFlags) => runQat(model, flags, process.argv));
}
