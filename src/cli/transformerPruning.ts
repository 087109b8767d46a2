/**
 * `retort prune-structured --structure heads|mlp|layers`: the transformer branch of the command.
 * Parses the targets (heads kept per layer or a fraction, MLP width fraction, layers to drop), builds
 * calibration windows and validation perplexity from `--data text:PATH`, prunes (Minitron-style
 * activation importance by default), optionally fine-tunes on the text, and prints one row per layer.
 */
import { resolve } from 'node:path';
import { textSourcePath } from '../data/sources.js';
import type { TextCorpus } from '../data/text/corpus.js';
import { saveVocab, vocabPathFor } from '../data/text/vocab.js';
import { estimateMacs } from '../eval/macs.js';
import { Graph } from '../onnx/graph.js';
import { encodeModel, loadModel, saveModel } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { pruneTransformer, tokenCalibrationBatches, type HeadTarget, type LayerTarget, type TransformerImportance } from '../prune/structured/index.js';
import { Session } from '../runtime/session.js';
import { evaluateLanguageModel } from '../train/evaluateLanguageModel.js';
import { prepareLanguageModel } from '../train/languageModelRun.js';
import { Trainer } from '../train/trainer.js';
import { formatFields, formatTable } from './format.js';
import { bad, choice, parseNumber, parseOptional } from './trainingOptions.js';

export type TransformerStructure = 'heads' | 'mlp' | 'layers';
export const TRANSFORMER_STRUCTURES: readonly TransformerStructure[] = ['heads', 'mlp', 'layers'];
export const TRANSFORMER_IMPORTANCE = ['activation', 'l1', 'l2'] as const;
const HEAD_SCOPES = ['uniform', 'global'] as const;
/** Windows per ORT call for calibration and perplexity. */
const WINDOW_BATCH = 16;

export interface TransformerPruningFlags {
  out: string;
  keepHeads?: string; headFraction?: string; headScope: string; mlpFraction?: string; dropLayers?: string; dropLayerIndices?: string;
  importance?: string; data?: string; context?: string; calibrationSize: string; evalWindows: string;
  fineTuneEpochs: string; stepsPerEpoch?: string; lr?: string; batchSize: string; seed: string; threads: string; json?: boolean;
}

/** The transformer structures of a `--structure` value (`heads,mlp`), or null when it names none. */
export function parseTransformerStructures(value: string): TransformerStructure[] | null {
  const names = value.split(',').map((s) => s.trim());
  if (!names.some((n) => (TRANSFORMER_STRUCTURES as readonly string[]).includes(n))) return null;
  return [...new Set(names.map((n) => choice('--structure', n, TRANSFORMER_STRUCTURES)))];
}

/** The targets of the structures named, and an error for a target of a structure not named. */
function parseTargets(structures: readonly TransformerStructure[], flags: TransformerPruningFlags): { heads?: HeadTarget; mlpKeep?: number; layers?: LayerTarget } {
  const wants = (s: TransformerStructure) => structures.includes(s);
  const given: [string, unknown, TransformerStructure][] = [
    ['--keep-heads', flags.keepHeads, 'heads'], ['--head-fraction', flags.headFraction, 'heads'], ['--mlp-fraction', flags.mlpFraction, 'mlp'],
    ['--drop-layers', flags.dropLayers, 'layers'], ['--drop-layer-indices', flags.dropLayerIndices, 'layers'],
  ];
  for (const [flag, value, structure] of given) if (value !== undefined && !wants(structure)) throw bad(`${flag} needs --structure ${structure}`);
  const targets: { heads?: HeadTarget; mlpKeep?: number; layers?: LayerTarget } = {};
  if (wants('heads')) {
    if ((flags.keepHeads === undefined) === (flags.headFraction === undefined)) throw bad('--structure heads: give --keep-heads N (per layer) or --head-fraction X');
    const scope = choice('--head-scope', flags.headScope, HEAD_SCOPES);
    targets.heads = flags.keepHeads !== undefined
      ? { kind: 'perLayer', keep: parseNumber('--keep-heads', flags.keepHeads, 'positive-int') }
      : { kind: 'fraction', keep: parseNumber('--head-fraction', flags.headFraction!, 'positive'), scope };
  }
  if (wants('mlp')) {
    if (flags.mlpFraction === undefined) throw bad('--structure mlp: give --mlp-fraction X, the fraction of each MLP\'s hidden units to keep');
    targets.mlpKeep = parseNumber('--mlp-fraction', flags.mlpFraction, 'positive');
  }
  if (wants('layers')) {
    if ((flags.dropLayers === undefined) === (flags.dropLayerIndices === undefined)) throw bad('--structure layers: give --drop-layers N (the least important) or --drop-layer-indices I,J');
    targets.layers = flags.dropLayers !== undefined
      ? { kind: 'count', count: parseNumber('--drop-layers', flags.dropLayers, 'nonnegative-int') }
      : { kind: 'indices', layers: flags.dropLayerIndices!.split(',').map((s) => parseNumber('--drop-layer-indices', s, 'nonnegative-int')) };
  }
  return targets;
}

async function validationLoss(model: ModelProto, corpus: TextCorpus, context: number, windows: number, threads: number): Promise<{ loss: number; perplexity: number; tokens: number } | undefined> {
  if (!corpus.validation) return undefined;
  const session = await Session.create(encodeModel(model), { name: 'validation', threads });
  try {
    const e = await evaluateLanguageModel(session, corpus.validation, { context, batchSize: WINDOW_BATCH, maxWindows: windows });
    return { loss: e.loss, perplexity: e.perplexity, tokens: e.samples };
  } finally {
    await session.dispose();
  }
}

export async function runTransformerPruning(modelPath: string, structures: readonly TransformerStructure[], flags: TransformerPruningFlags): Promise<void> {
  const targets = parseTargets(structures, flags);
  const importanceName = choice('--importance', flags.importance ?? 'activation', TRANSFORMER_IMPORTANCE);
  const seed = parseNumber('--seed', flags.seed, 'nonnegative-int');
  const threads = parseNumber('--threads', flags.threads, 'nonnegative-int');
  const epochs = parseNumber('--fine-tune-epochs', flags.fineTuneEpochs, 'nonnegative-int');
  const textPath = flags.data === undefined ? null : textSourcePath(flags.data);
  if (flags.data !== undefined && textPath === null) throw bad(`--data ${flags.data}: heads, mlp and layers take text data, text:PATH`);
  if (textPath === null && (importanceName === 'activation' || epochs > 0)) {
    throw bad(`${importanceName === 'activation' ? '--importance activation (the default for heads, mlp and layers)' : '--fine-tune-epochs'} needs --data text:PATH; without data use --importance l1 or l2`);
  }
  const model = loadModel(resolve(modelPath));
  const prepared = textPath === null ? undefined : prepareLanguageModel({
    origin: { path: modelPath, model }, textPath, validationFraction: 0.1, limitTokens: null, context: parseOptional('--context', flags.context, 'positive-int'), seed,
  });
  const importance: TransformerImportance = importanceName === 'activation'
    ? { kind: 'activation', threads, batches: tokenCalibrationBatches(model, prepared!.corpus.train, { context: prepared!.context, windows: parseNumber('--calibration-size', flags.calibrationSize, 'positive-int'), batchSize: WINDOW_BATCH, seed }) }
    : { kind: 'weight', norm: importanceName };
  const result = await pruneTransformer(model, { importance, ...targets });
  let pruned = result.model;
  const validation: Record<string, { loss: number; perplexity: number; tokens: number } | undefined> = {};
  if (prepared) {
    const windows = parseNumber('--eval-windows', flags.evalWindows, 'positive-int');
    validation.before = await validationLoss(model, prepared.corpus, prepared.context, windows, threads);
    validation.pruned = await validationLoss(pruned, prepared.corpus, prepared.context, windows, threads);
    if (epochs > 0) {
      const { corpus, context } = prepared;
      // Plain next-token fine-tuning; distillation from the unpruned model (Minitron's retraining) is `retort distill`.
      const trainer = await Trainer.create(pruned, {
        batchSize: parseNumber('--batch-size', flags.batchSize, 'positive-int'), epochs, seed, threads, progress: flags.json ? 'silent' : 'auto',
        optimizer: { kind: 'adamw' }, schedule: { kind: 'constant', lr: parseNumber('--lr', flags.lr ?? '0.001', 'positive') }, clipGlobalNorm: 1,
      }, { kind: 'languageModeling', train: corpus.train, context, ...(flags.stepsPerEpoch !== undefined ? { stepsPerEpoch: parseNumber('--steps-per-epoch', flags.stepsPerEpoch, 'positive-int') } : {}) });
      try {
        pruned = (await trainer.fit()).model;
      } finally {
        await trainer.dispose();
      }
      validation.fineTuned = await validationLoss(pruned, corpus, context, windows, threads);
    }
  }
  const out = resolve(flags.out);
  saveModel(pruned, out);
  if (prepared) saveVocab(vocabPathFor(out), prepared.corpus.tokenizer.spec);
  const input = new Graph(model.graph!).dataInputs[0]!.name;
  const macShapes = prepared ? { [input]: [1, prepared.context] } : {};
  const [macsBefore, macsAfter] = [(await estimateMacs(model, macShapes)).total, (await estimateMacs(pruned, macShapes)).total];
  const report = {
    model: modelPath, out: flags.out, structures, importance: importanceName, targets,
    parametersBefore: result.parametersBefore, parametersAfter: result.parametersAfter, macsBefore, macsAfter, macShapes, layers: result.layers, validation,
  };
  if (flags.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return;
  }
  const rows = result.layers.map((l) => [
    l.label, l.dropped ? '-' : `${l.keptHeads.length}/${l.heads} (${l.keptHeads.join(',')})`, l.dropped ? '-' : `${l.mlpKept}/${l.mlpWidth}`,
    l.blockImportance === undefined ? '' : l.blockImportance.toPrecision(3), l.dropped ? 'dropped' : l.notDroppable ? `kept (not droppable: ${l.notDroppable})` : 'kept',
  ]);
  process.stdout.write(formatTable(['layer', 'heads kept', 'MLP kept', importanceName === 'activation' ? 'block influence' : `block ${importanceName}`, 'status'], rows) + '\n\n');
  const ratio = (a: number, b: number) => `${a.toLocaleString('en-US')} -> ${b.toLocaleString('en-US')} (${((100 * b) / a).toFixed(1)}%)`;
  const fields: [string, string][] = [
    ['parameters', ratio(result.parametersBefore, result.parametersAfter)],
    [`MACs (${prepared ? `1 window of ${prepared.context} tokens` : 'batch 1'})`, ratio(macsBefore, macsAfter)],
  ];
  for (const [k, v] of Object.entries(validation)) if (v) fields.push([`validation ${k}`, `loss ${v.loss.toFixed(4)} nats/token, perplexity ${v.perplexity.toFixed(2)} (${v.tokens} tokens)`]);
  fields.push(['written', flags.out]);
  process.stdout.write(formatFields(fields) + '\n');
}
