/**
 * Language models on Tiny Shakespeare (`npm run bench:lm`, issue 10): a character-level GPT teacher
 * trained to a validation loss of at most 1.60 nats/char; a student with at most a quarter of its
 * parameters trained the same number of steps (a) on the text alone, (b) with token-level forward
 * KL, (c) with token-level reverse KL, (c') with reverse KL on its own samples mixed with text
 * windows (on-policy), (d) on text the teacher generated (sequence-level KD); then the teacher
 * pruned to 50% (magnitude per layer and per row, Wanda per row, one-pass and sequential calibration) and quantized to 4 bits (weight-only
 * MatMulNBits, round-to-nearest and GPTQ), and width-pruned Minitron-style (half the heads and half the
 * MLP width of every block by activation importance, then retrained by forward KL from the unpruned
 * teacher). Each model's validation loss and perplexity, sample text (seeded), parameters and
 * training tokens/s.
 *
 * Every stage writes its model and its row of results.json in --out; a re-run reuses finished stages
 * and resumes an interrupted training stage from its checkpoint (the teacher every 500 steps).
 *
 * Flags: --quick (tiny sizes and a few steps: the CI smoke test; never writes BENCHMARKS.md) --write
 * (append the section to BENCHMARKS.md; `npm run bench:lm` passes it) --out DIR (default runs/bench-lm, or runs/bench-lm-quick) --threads N (0: ORT decides)
 * --text FILE (default ../shared/data/tinyshakespeare.txt); sizes: --teacher-epochs N --teacher-steps-per-epoch N
 * --student-steps N --retrain-steps N --corpus-tokens N --limit-tokens N (only the first N characters of the text).
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { loadTextFile } from '../src/data/text/corpus.js';
import { withContextMetadata } from '../src/data/text/forLanguageModel.js';
import { withTokenizerMetadata } from '../src/data/text/vocab.js';
import { distill } from '../src/distill/distill.js';
import { distillOnPolicy } from '../src/distill/language/onPolicy.js';
import { generateTeacherCorpus, sequenceKdData } from '../src/distill/language/sequenceKd.js';
import { sequencePool } from '../src/distill/language/sequencePool.js';
import { tokenKdTerms } from '../src/distill/language/tokenKd.js';
import { crossEntropyTerm } from '../src/distill/terms/response.js';
import type { WeightedTerm } from '../src/distill/terms/types.js';
import { generateTokens } from '../src/eval/generate.js';
import { distinctNgrams, judgeSamples, scoreContinuations, type SampleJudgement } from '../src/eval/sampleJudgement.js';
import { buildArchitecture, parseArchitecture } from '../src/models/spec.js';
import { Graph } from '../src/onnx/graph.js';
import { encodeModel, loadModel, saveModel } from '../src/onnx/model.js';
import { parameterCount } from '../src/onnx/parameters.js';
import type { ModelProto } from '../src/onnx/proto.js';
import { collectActivationNorms } from '../src/prune/activationNorms.js';
import { findPrunableLayers } from '../src/prune/layers.js';
import { prune } from '../src/prune/prune.js';
import { sequentialWandaPrune } from '../src/prune/sequential.js';
import { pruneTransformer, tokenCalibrationBatches } from '../src/prune/structured/index.js';
import { arrayCalibrationReader } from '../src/quantize/calibration/reader.js';
import { quantizeWeightOnly } from '../src/quantize/weightOnly.js';
import { runtimeVersion, Session } from '../src/runtime/session.js';
import { int64Tensor } from '../src/runtime/tensors.js';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { evaluateLanguageModel } from '../src/train/evaluateLanguageModel.js';
import { trainLanguageModel, type LanguageModelMetrics } from '../src/train/languageModelRun.js';
import type { LanguageModelData, TrainerConfig } from '../src/train/trainer.js';
import { readMetrics } from '../src/train/epochLoop.js';
import { writeFileAtomic } from '../src/util/atomicWrite.js';
import { sequentialWindowStarts, windowBatches } from '../src/data/text/windows.js';

const flag = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
};
const quick = process.argv.includes('--quick');
const threads = Number(flag('threads', '0'));
const out = resolve(flag('out', quick ? 'runs/bench-lm-quick' : 'runs/bench-lm'));
const textPath = resolve(flag('text', '../shared/data/tinyshakespeare.txt'));
const SEED = 1;

/**
 * The full sizes, chosen from throughput measured on the loaded 2-core machine and scaled by the
 * load factor of bench:train's MLP step (x4-6): gpt 4x128 ~1.7 s/step and 4x192 ~2.5 s/step at batch
 * 32x128 under a factor of 6, so ~0.28 and ~0.40 s idle. 4x192 costs only 1.4x 4x128 per token (small
 * ops dominate), so the bigger, more sample-efficient model is the better buy: 3,000 steps (12.3M
 * tokens, ~12 epochs of the text) in an estimated 20–30 min. The student (3x96) has ~20% of its parameters.
 * Measured (BENCHMARKS.md): the teacher runs at ~4,350 tokens/s alone on 1 thread (~0.94 s/step, so
 * 3,000 steps ~47 min; it passed 1.60 at step 1,500); students take 1,000 steps each (4.1M tokens).
 */
const settings: { limitTokens: number | null; teacherArch: string; studentArch: string; batch: number; teacherEpochs: number; teacherStepsPerEpoch: number; studentSteps: number; retrainSteps: number; keepHeads: number; corpusTokens: number; onPolicyEvery: number; onPolicyPool: number; onPolicyPrompt: number; calibrationWindows: number; sampleTokens: number; judgeTokens: number } = quick
  ? { limitTokens: 60_000, teacherArch: 'gpt:layers=2,dim=32,heads=2,context=32', studentArch: 'gpt:layers=1,dim=16,heads=2,context=32', batch: 8, teacherEpochs: 2, teacherStepsPerEpoch: 15, studentSteps: 10, retrainSteps: 6, keepHeads: 1, corpusTokens: 2_000, onPolicyEvery: 2, onPolicyPool: 8, onPolicyPrompt: 8, calibrationWindows: 4, sampleTokens: 80, judgeTokens: 200 }
  : { limitTokens: null, teacherArch: 'gpt:layers=4,dim=192,heads=6,context=128', studentArch: 'gpt:layers=3,dim=96,heads=4,context=128', batch: 32, teacherEpochs: 6, teacherStepsPerEpoch: 500, studentSteps: 1000, retrainSteps: 500, keepHeads: 3, corpusTokens: 400_000, onPolicyEvery: 4, onPolicyPool: 32, onPolicyPrompt: 32, calibrationWindows: 64, sampleTokens: 300, judgeTokens: 25_000 };
// Overrides for probes and other budgets (the section states the sizes used).
for (const key of ['teacherEpochs', 'teacherStepsPerEpoch', 'studentSteps', 'retrainSteps', 'corpusTokens', 'limitTokens'] as const) {
  const value = flag(key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), '');
  if (value !== '') settings[key] = Number(value);
}
/** Token-level KD (fixed a priori, not tuned): temperature 1 (MiniLLM's), alpha 0.5 on the cross-entropy. */
const KD = { temperature: 1, alpha: 0.5 };
const TARGET_LOSS = 1.6;
/** Peak learning rates (cosine to a tenth, 100 warm-up steps): nanoGPT's baby GPT uses 1e-3 at 6x384; smaller models take more. */
const TEACHER_LR = 1.5e-3;
const STUDENT_LR = 3e-3;
/** Retraining a pruned teacher starts from trained weights: the teacher's final learning-rate range, not a fresh student's (fixed a priori). */
const RETRAIN_LR = 5e-4;
/** Minitron keeps this fraction of each MLP's hidden units (width pruning, with half the heads). */
const MLP_KEEP = 0.5;

const started = performance.now();
const corpus = loadTextFile(textPath, { tokenizer: 'char', ...(settings.limitTokens ? { limit: settings.limitTokens } : {}) });
const validation = corpus.validation!;
const context = (parseArchitecture(settings.teacherArch) as { context: number }).context;
const vocabSize = corpus.tokenizer.vocabSize;
const note = (line: string) => process.stderr.write(`[bench:lm ${((performance.now() - started) / 60000).toFixed(1)} min] ${line}\n`);
const finish = (model: ModelProto) => withContextMetadata(withTokenizerMetadata(model, corpus.tokenizer.spec), context);
const params = (model: ModelProto) => parameterCount(new Graph(model.graph!));

interface Row {
  name: string;
  description: string;
  parameters: number;
  validationLoss: number;
  perplexity: number;
  steps?: number;
  seconds?: number;
  tokensPerSecond?: number;
  sample?: string;
  bytes?: number;
  nonZero?: number;
  note?: string;
  /** Its samples scored by the teacher (src/eval/sampleJudgement.ts). */
  judged?: Omit<SampleJudgement, 'judgeLossStdError'> & { judgeLossStdError?: number };
}
const resultsPath = join(out, 'results.json');
const results: Record<string, Row> = existsSync(resultsPath) ? (JSON.parse(readFileSync(resultsPath, 'utf8')) as Record<string, Row>) : {};
const record = (row: Row) => {
  results[row.name] = row;
  writeFileAtomic(resultsPath, JSON.stringify(results, null, 2) + '\n');
  note(`${row.name}: validation loss ${row.validationLoss.toFixed(4)} nats/char, perplexity ${row.perplexity.toFixed(3)}`);
};

async function evaluate(model: ModelProto): Promise<{ validationLoss: number; perplexity: number }> {
  const session = await Session.create(encodeModel(model), { name: 'evaluation', threads });
  try {
    const e = await evaluateLanguageModel(session, validation, { context, batchSize: 32 });
    return { validationLoss: e.loss, perplexity: e.perplexity };
  } finally {
    await session.dispose();
  }
}

/** Seeded sample text: a newline continued at temperature 0.8. */
async function sample(model: ModelProto): Promise<string> {
  const g = await generateTokens(model, corpus.tokenizer.encode('\n'), { temperature: 0.8, maxNewTokens: settings.sampleTokens, seed: SEED, context, threads });
  return corpus.tokenizer.decode(g.newTokens);
}

/** The teacher: `retort train --arch ... --data text:...` as a library call, resumable. */
async function teacherStage(): Promise<ModelProto> {
  const files = { model: join(out, 'teacher.onnx'), vocab: join(out, 'teacher.vocab.json'), metrics: join(out, 'teacher.metrics.json'), checkpoint: join(out, 'teacher.ckpt') };
  const previous = readMetrics<LanguageModelMetrics>(files.metrics);
  if (previous?.status === 'complete' && existsSync(files.model) && results.teacher) return loadModel(files.model);
  const totalSteps = settings.teacherEpochs * settings.teacherStepsPerEpoch;
  const arch = parseArchitecture(settings.teacherArch);
  const { metrics, model } = await trainLanguageModel({
    model: buildArchitecture(arch, { seed: SEED, vocabSize }),
    config: {
      model: { source: 'arch', arch: settings.teacherArch }, data: `text:${textPath}`, tokenizer: 'char', context, validationFraction: 0.1, limitTokens: settings.limitTokens,
      stepsPerEpoch: settings.teacherStepsPerEpoch, epochs: settings.teacherEpochs, batchSize: settings.batch, seed: SEED,
      optimizer: { kind: 'adamw', beta2: 0.99, weightDecay: 0.01 },
      schedule: { kind: 'cosine', lr: TEACHER_LR, minLr: TEACHER_LR / 10, warmupSteps: Math.min(100, totalSteps - 1), totalSteps },
      clipNorm: 1, maxNorm: null, patience: null, checkpointEvery: settings.teacherStepsPerEpoch, maxSteps: null, threads,
    },
    corpus, files, resume: existsSync(files.checkpoint), previous, progress: 'auto', note, started: performance.now(),
  });
  const scored = await evaluate(model);
  // Epoch times (training steps and the validation pass) survive resumes in metrics.json; an epoch cut by a kill has none.
  const timed = metrics.epochs.filter((e) => Number.isFinite(e.seconds) && e.seconds > 0);
  const seconds = timed.reduce((a, e) => a + e.seconds, 0);
  const timedTokens = timed.length * settings.teacherStepsPerEpoch * settings.batch * context;
  record({
    name: 'teacher', description: `teacher ${settings.teacherArch}`, parameters: params(model), ...scored, steps: metrics.steps,
    seconds, tokensPerSecond: seconds > 0 ? timedTokens / seconds : NaN, sample: await sample(model),
    note: `${timed.length} of ${metrics.epochs.length} epochs of ${settings.teacherStepsPerEpoch} steps timed${metrics.resumedFromStep !== null ? `; resumed at step ${metrics.resumedFromStep}` : ''}; minutes include ${timed.length} validation passes`,
  });
  return model;
}

/** One student stage: trained (or resumed from its checkpoint), saved, scored and sampled once. */
async function studentStage(name: string, description: string, train: (config: Omit<TrainerConfig, 'loss'>, resumeFrom: string | undefined) => Promise<{ model: ModelProto; note?: string }>, budget = { steps: settings.studentSteps, lr: STUDENT_LR }): Promise<void> {
  const file = join(out, `${name}.onnx`);
  if (results[name] && existsSync(file)) return;
  const checkpoint = join(out, `${name}.ckpt`);
  const resumeFrom = existsSync(checkpoint) ? checkpoint : undefined;
  const fromStep = resumeFrom ? loadCheckpoint(resumeFrom).position.step : 0;
  const { steps, lr } = budget;
  const config: Omit<TrainerConfig, 'loss'> = {
    batchSize: settings.batch, epochs: 1, seed: SEED, threads, progress: 'auto', clipGlobalNorm: 1,
    optimizer: { kind: 'adamw', beta2: 0.99, weightDecay: 0.01 },
    schedule: { kind: 'cosine', lr, minLr: lr / 10, warmupSteps: Math.min(100, steps - 1), totalSteps: steps },
    checkpoint: { path: checkpoint, everySteps: settings.onPolicyEvery * Math.max(1, Math.floor(250 / settings.onPolicyEvery)) },
  };
  note(`${name}: ${description}${resumeFrom ? ` (resuming at step ${fromStep})` : ''}`);
  const t = performance.now();
  const trained = await train(config, resumeFrom);
  const seconds = (performance.now() - t) / 1000;
  const model = finish(trained.model);
  saveModel(model, file);
  record({
    name, description, parameters: params(model), ...(await evaluate(model)), steps, seconds,
    tokensPerSecond: steps > fromStep ? ((steps - fromStep) * settings.batch * context) / seconds : NaN, sample: await sample(model),
    ...(trained.note || fromStep > 0 ? { note: [trained.note, fromStep > 0 ? `resumed at step ${fromStep}; time and tokens/s of the last ${steps - fromStep} steps` : ''].filter(Boolean).join('; ') } : {}),
  });
}

/** The teacher's text for sequence-level KD, generated once and kept in --out. */
async function teacherText(teacher: ModelProto) {
  const file = join(out, 'teacher-text.bin');
  const meta = join(out, 'teacher-text.json');
  if (existsSync(file) && existsSync(meta)) {
    const m = JSON.parse(readFileSync(meta, 'utf8')) as { length: number; seconds: number; sampledTokens: number };
    const bytes = readFileSync(file);
    return { pool: sequencePool(new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), m.length, vocabSize), seconds: m.seconds, sampledTokens: m.sampledTokens };
  }
  note(`sequence-level KD: the teacher samples ${settings.corpusTokens} tokens`);
  const corpusOut = await generateTeacherCorpus(teacher, { tokens: settings.corpusTokens, prompts: corpus.train, promptLength: 1, temperature: 1, seed: SEED, context, batchSize: 64, threads });
  writeFileAtomic(file, new Uint8Array(corpusOut.sequences.buffer));
  writeFileAtomic(meta, JSON.stringify({ length: corpusOut.length, count: corpusOut.count, promptLength: 1, temperature: 1, seconds: corpusOut.seconds, sampledTokens: corpusOut.sampledTokens }) + '\n');
  return { pool: sequencePool(corpusOut.sequences, corpusOut.length, vocabSize), seconds: corpusOut.seconds, sampledTokens: corpusOut.sampledTokens };
}

/** The first `count` non-overlapping windows of the training text, as int64 feeds [batch, context]. */
function calibrationFeeds(input: string, count: number, batch = 16) {
  const starts = sequentialWindowStarts(corpus.train, context).subarray(0, count);
  // Array.from maps each batch as it is drawn, before the shared buffer is overwritten.
  return Array.from(windowBatches(corpus.train, starts, context, batch), (w) => ({ [input]: int64Tensor(w.inputs.slice(), [w.count, context]) }));
}

/** Models whose samples the teacher judges: the teacher itself and each student. */
const JUDGED = ['teacher', 'data', 'forward-kl', 'reverse-kl', 'reverse-kl-on-policy', 'sequence-kd', 'minitron-width'];
/** Sampling at temperature 1 (the distribution the KL objectives shape) from prompts of the validation text as long as on-policy's. */
const JUDGING = { promptLength: settings.onPolicyPrompt, temperature: 1 };

/**
 * Each model's samples judged by the teacher; the reference is real validation text cut the same
 * way (the teacher's loss and the distinct 4-grams of that many windows' continuations).
 */
async function judgeStages(teacher: ModelProto): Promise<{ judgeLoss: number; distinct4: number; sampledTokens: number }> {
  for (const name of JUDGED) {
    const r = results[name];
    const file = join(out, `${name}.onnx`);
    if (!r || r.judged || !existsSync(file)) continue;
    const judged = await judgeSamples(loadModel(file), teacher, { prompts: validation, tokens: settings.judgeTokens, ...JUDGING, seed: SEED, context, threads });
    r.judged = judged;
    writeFileAtomic(resultsPath, JSON.stringify(results, null, 2) + '\n');
    note(`${name}: its samples under the teacher ${judged.judgeLoss.toFixed(4)} nats/char, under itself ${judged.selfLoss.toFixed(4)}, distinct 4-grams ${judged.distinct4.toFixed(3)}`);
  }
  const length = context + 1;
  const count = Math.ceil(settings.judgeTokens / (length - JUDGING.promptLength));
  const rows = new Int32Array(count * length);
  for (let i = 0; i < count; i++) rows.set(validation.tokens.subarray(i * length, (i + 1) * length), i * length);
  return {
    judgeLoss: (await scoreContinuations(teacher, rows, length, JUDGING.promptLength, { threads, name: 'the teacher' })).loss,
    distinct4: distinctNgrams(rows, length, JUDGING.promptLength, 4),
    sampledTokens: count * (length - JUDGING.promptLength),
  };
}

async function compressionStages(teacher: ModelProto): Promise<void> {
  const layers = findPrunableLayers(teacher);
  const prunable = layers.reduce((n, l) => n + l.order.length, 0);
  const done = (name: string) => Boolean(results[name]);
  const pruned = async (name: string, description: string, run: () => Promise<{ model: ModelProto; masks: ReadonlyMap<string, Float32Array> }> | { model: ModelProto; masks: ReadonlyMap<string, Float32Array> }) => {
    if (done(name)) return;
    const r = await run();
    const zeros = [...r.masks.values()].reduce((n, m) => n + m.reduce((z, v) => z + (v === 0 ? 1 : 0), 0), 0);
    record({ name, description, parameters: params(r.model), nonZero: params(r.model) - zeros, ...(await evaluate(r.model)), note: `${(100 * zeros / prunable).toFixed(1)}% of the ${prunable} MatMul weights zero` });
  };
  const half = (scope: 'layer' | 'row') => ({ pattern: 'unstructured', sparsity: 0.5, scope }) as const;
  await pruned('magnitude-layer', 'teacher, magnitude 50% per layer', () => prune(teacher, { importance: { method: 'magnitude' }, selection: half('layer') }));
  await pruned('magnitude-row', 'teacher, magnitude 50% per output row', () => prune(teacher, { importance: { method: 'magnitude' }, selection: half('row') }));
  const calibration = { kind: 'tokens', sequence: corpus.train, context, windows: settings.calibrationWindows } as const;
  await pruned('wanda', `teacher, Wanda 50% per output row (${settings.calibrationWindows} windows of ${context} training tokens, every layer measured on the dense model in one pass)`, async () =>
    prune(teacher, { importance: { method: 'wanda', activationNorms: await collectActivationNorms(teacher, layers, calibration, { threads }) }, selection: half('row') }));
  await pruned('wanda-sequential', `teacher, Wanda 50% per output row, sequential calibration (the same windows; each layer group measured after the groups before it are pruned)`, () =>
    sequentialWandaPrune(teacher, calibration, half('row'), { threads }));
  const input = new Graph(teacher.graph!).dataInputs[0]!.name;
  for (const algorithm of [{ kind: 'rtn' as const }, { kind: 'gptq' as const, damping: 0.01 }]) {
    const name = `q4-${algorithm.kind}`;
    if (done(name)) continue;
    const reader = algorithm.kind === 'gptq' ? arrayCalibrationReader(calibrationFeeds(input, settings.calibrationWindows)) : undefined;
    const q = await quantizeWeightOnly(teacher, { method: 'weight-only', bits: 4, blockSize: 32, symmetric: true, algorithm }, reader);
    const file = join(out, `teacher-${name}.onnx`);
    saveModel(q.model, file);
    record({ name, description: `teacher, 4-bit weight-only MatMulNBits, block 32, ${algorithm.kind === 'rtn' ? 'round-to-nearest' : `GPTQ (${settings.calibrationWindows} windows)`}`, parameters: params(teacher), bytes: encodeModel(q.model).length, ...(await evaluate(q.model)), note: `${q.quantizedNodes.length} MatMuls quantized` });
  }
}

/**
 * Minitron-style width pruning (Muralidharan et al. 2024): every block keeps `keepHeads` heads and half
 * its MLP width by activation importance on calibration windows, then the smaller model is retrained
 * by token-level forward KL from the unpruned teacher (the same KD terms as the students).
 */
async function minitronStage(teacher: ModelProto): Promise<void> {
  // Finished: skip the calibration pass and the pruning, which only feed the stages below.
  if (results['width-pruned'] && results['minitron-width'] && existsSync(join(out, 'minitron-width.onnx'))) return;
  const heads = (parseArchitecture(settings.teacherArch) as { heads: number }).heads;
  const shape = `${settings.keepHeads} of ${heads} heads and ${MLP_KEEP * 100}% of the MLP width per block`;
  const batches = tokenCalibrationBatches(teacher, corpus.train, { context, windows: settings.calibrationWindows, batchSize: 16, seed: SEED });
  const pruned = await pruneTransformer(teacher, { importance: { kind: 'activation', threads, batches }, heads: { kind: 'perLayer', keep: settings.keepHeads }, mlpKeep: MLP_KEEP });
  const model = finish(pruned.model);
  if (!results['width-pruned']) {
    record({ name: 'width-pruned', description: `teacher width-pruned: ${shape} (activation importance, ${settings.calibrationWindows} windows), no retraining`, parameters: params(model), nonZero: params(model), ...(await evaluate(model)), note: `${(100 * params(model) / params(teacher)).toFixed(1)}% of the teacher's parameters` });
  }
  await studentStage('minitron-width', `width-pruned (${shape}), retrained ${settings.retrainSteps} steps (lr ${RETRAIN_LR}) by forward KL from the teacher, T ${KD.temperature}, alpha ${KD.alpha}`, async (trainer, resumeFrom) => ({
    model: (await distill({ teacher, student: model, data: { ...data, stepsPerEpoch: settings.retrainSteps }, trainer, terms: kdTerms('forward-kl') }, resumeFrom)).model,
  }), { steps: settings.retrainSteps, lr: RETRAIN_LR });
}

const teacher = await teacherStage();
if (!results.teacher) throw new Error('teacher stage left no result');
results.teacher.bytes = encodeModel(teacher).length;
const student = buildArchitecture(settings.studentArch, { seed: SEED + 1, vocabSize });
const ratio = params(student) / params(teacher);
note(`student ${settings.studentArch}: ${params(student)} parameters, ${(100 * ratio).toFixed(1)}% of the teacher's ${params(teacher)}`);
if (!quick && ratio > 0.25) throw new Error(`the student has ${(100 * ratio).toFixed(1)}% of the teacher's parameters; at most 25% is the target`);
const data: LanguageModelData = { kind: 'languageModeling', train: corpus.train, context, stepsPerEpoch: settings.studentSteps };
const kdTerms = (divergence: 'forward-kl' | 'reverse-kl'): WeightedTerm[] => tokenKdTerms({ divergence, ...KD });

await studentStage('data', 'student on the text alone (cross-entropy)', async (trainer, resumeFrom) => ({
  model: (await distill({ teacher, student, data, trainer, terms: [{ name: 'ce', weight: 1, term: crossEntropyTerm() }] }, resumeFrom)).model,
}));
await studentStage('forward-kl', `token-level forward KL, T ${KD.temperature}, alpha ${KD.alpha}`, async (trainer, resumeFrom) => ({
  model: (await distill({ teacher, student, data, trainer, terms: kdTerms('forward-kl') }, resumeFrom)).model,
}));
await studentStage('reverse-kl', `token-level reverse KL (teacher-forced on text), T ${KD.temperature}, alpha ${KD.alpha}`, async (trainer, resumeFrom) => ({
  model: (await distill({ teacher, student, data, trainer, terms: kdTerms('reverse-kl') }, resumeFrom)).model,
}));
await studentStage('reverse-kl-on-policy', `reverse KL on the student's own samples in half the rounds of ${settings.onPolicyEvery} steps (pool ${settings.onPolicyPool}, prompts of ${settings.onPolicyPrompt} tokens), text windows in the others; T ${KD.temperature}, alpha ${KD.alpha} on text rounds only`, async (trainer, resumeFrom) => {
  const r = await distillOnPolicy({ teacher, student, data, trainer, terms: kdTerms('reverse-kl'), onPolicy: { every: settings.onPolicyEvery, fraction: 0.5, poolSize: settings.onPolicyPool, promptLength: settings.onPolicyPrompt } }, resumeFrom);
  return { model: r.model, note: `${r.onPolicyRounds} of ${r.rounds} rounds on-policy; ${r.sampledTokens} tokens sampled in ${r.samplingSeconds.toFixed(0)} s` };
});
const text = await teacherText(teacher);
await studentStage('sequence-kd', `sequence-level KD: cross-entropy on ${text.sampledTokens} tokens the teacher sampled (T 1, sequences of ${context + 1})`, async (trainer, resumeFrom) => ({
  model: (await distill({ teacher, student, data: sequenceKdData(data, text.pool, SEED), trainer, terms: [{ name: 'ce', weight: 1, term: crossEntropyTerm() }] }, resumeFrom)).model,
  note: `teacher text generated in ${text.seconds.toFixed(0)} s (${Math.round(text.sampledTokens / text.seconds)} tokens/s, not counted in tokens/s)`,
}));
await compressionStages(teacher);
await minitronStage(teacher);
const reference = await judgeStages(teacher);

// The section for BENCHMARKS.md.
const fmt = (x: number, digits = 4) => x.toFixed(digits);
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${fmt(Math.abs(x))}`;
const group = (n: number) => n.toLocaleString('en-US');
const base = results.data!;
const t = results.teacher;
const lines: string[] = [];
const cpu = os.cpus();
lines.push(`## Language models on Tiny Shakespeare (issue 10)${quick ? ' — QUICK SMOKE RUN, NOT A RESULT' : ''}`, '');
lines.push(`Date ${new Date().toISOString().slice(0, 10)}. Machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown'}), load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')}, Node ${process.version}, onnxruntime-node ${runtimeVersion()} CPU, ORT threads ${threads || 'ORT default'}. Command: \`npm run bench:lm${quick ? ' -- --quick' : ''}\`${process.argv.includes('--write') ? ' (with --write)' : ''}; wall time of this invocation ${((performance.now() - started) / 60000).toFixed(1)} min (finished stages of an earlier invocation are reused).`, '');
lines.push(`Character-level (${vocabSize} characters), last 10% of the text for validation (${group(validation.length)} characters); loss is next-character cross-entropy in nats/char over non-overlapping windows of ${context}. Teacher \`${settings.teacherArch}\`, batch ${settings.batch}×${context}, ${group(settings.teacherEpochs * settings.teacherStepsPerEpoch)} steps, AdamW (β2 0.99, weight decay 0.01), lr ${TEACHER_LR} cosine to a tenth with 100 warm-up steps, gradient clipping 1. Students \`${settings.studentArch}\` (${(100 * ratio).toFixed(1)}% of the teacher's parameters), ${group(settings.studentSteps)} steps each, batch ${settings.batch}×${context}, lr ${STUDENT_LR} cosine to a tenth, same seed and initialization. Target: teacher validation loss ≤ ${TARGET_LOSS}: **${t.validationLoss <= TARGET_LOSS ? 'met' : 'not met'}** (${fmt(t.validationLoss)}).`, '');
lines.push('| model | parameters | validation loss (nats/char) | perplexity | vs text alone | steps | training tokens/s | minutes | notes |', '|---|---:|---:|---:|---:|---:|---:|---:|---|');
for (const name of ['teacher', 'data', 'forward-kl', 'reverse-kl', 'reverse-kl-on-policy', 'sequence-kd']) {
  const r = results[name];
  if (!r) continue;
  const vs = name === 'teacher' || name === 'data' ? '' : signed(r.validationLoss - base.validationLoss);
  lines.push(`| ${r.description} | ${group(r.parameters)} | ${fmt(r.validationLoss)} | ${fmt(r.perplexity, 3)} | ${vs} | ${group(r.steps ?? 0)} | ${Number.isFinite(r.tokensPerSecond) ? group(Math.round(r.tokensPerSecond!)) : '—'} | ${((r.seconds ?? 0) / 60).toFixed(1)} | ${r.note ?? ''} |`);
}
lines.push('', `"vs text alone" is a single seed's difference; training tokens/s counts the student's windows (${settings.batch}×${context} per step) and includes the teacher's forward pass per batch and, on-policy, the student's sampling.`, '');
lines.push('#### Compression of the teacher', '', '| model | non-zero / size | validation loss | perplexity | vs teacher | notes |', '|---|---:|---:|---:|---:|---|');
for (const name of ['teacher', 'magnitude-layer', 'magnitude-row', 'wanda', 'wanda-sequential', 'q4-rtn', 'q4-gptq', 'width-pruned', 'minitron-width']) {
  const r = results[name];
  if (!r) continue;
  const size = r.nonZero !== undefined ? `${group(r.nonZero)} non-zero parameters` : r.bytes !== undefined ? `${group(r.bytes)} bytes` : `${group(r.parameters)} parameters`;
  const vs = name === 'teacher' ? '' : signed(r.validationLoss - t.validationLoss);
  lines.push(`| ${r.description} | ${size} | ${fmt(r.validationLoss)} | ${fmt(r.perplexity, 3)} | ${vs} | ${name === 'teacher' ? '' : r.note ?? ''} |`);
}
lines.push('', '#### What the models write, judged by the teacher', '');
lines.push(`Each model continues ${JUDGING.promptLength}-character prompts from seeded places of the validation text by sampling at temperature ${JUDGING.temperature} (${group(settings.judgeTokens)} sampled characters or a little more, the same prompts for every model; src/eval/sampleJudgement.ts). Teacher's loss: the mean nats/char of the sampled characters under the teacher (lower: text the teacher finds likely; ± its standard error over the samples); own loss: the same under the model that wrote them (its entropy rate); distinct 4-grams: the fraction of the samples' 4-grams that differ (repetitive text scores low). Reference: the validation text cut the same way (${group(reference.sampledTokens)} characters after the prompts).`, '');
lines.push("| model | teacher's loss on its samples | own loss on its samples | distinct 4-grams | samples | sampling s |", '|---|---:|---:|---:|---:|---:|');
lines.push(`| validation text | ${fmt(reference.judgeLoss)} | | ${fmt(reference.distinct4, 3)} | | |`);
for (const name of JUDGED) {
  const j = results[name]?.judged;
  if (j) lines.push(`| ${results[name]!.description} | ${fmt(j.judgeLoss)}${j.judgeLossStdError === undefined ? '' : ` ± ${fmt(j.judgeLossStdError, 3)}`} | ${fmt(j.selfLoss)} | ${fmt(j.distinct4, 3)} | ${group(j.samples)} | ${j.seconds.toFixed(1)} |`);
}
lines.push('', `#### Samples (seeded: a newline continued by ${settings.sampleTokens} characters at temperature 0.8, seed ${SEED})`, '');
for (const name of ['teacher', 'data', 'forward-kl', 'reverse-kl', 'reverse-kl-on-policy', 'sequence-kd', 'minitron-width']) {
  const r = results[name];
  if (r?.sample !== undefined) lines.push(`${r.description}:`, '', '```', r.sample, '```', '');
}
const section = lines.join('\n');
writeFileAtomic(join(out, 'section.md'), section + '\n');
process.stdout.write(section + '\n');
if (process.argv.includes('--write')) {
  // A smoke run's numbers are not results: --quick never writes BENCHMARKS.md.
  if (quick) note('--quick: BENCHMARKS.md left as it is');
  else appendFileSync('BENCHMARKS.md', '\n' + section);
}
