/**
 * `retort distill --data text:PATH`: the language-model branch of `retort distill`. Parses the text
 * options (the student from a file, an architecture or the teacher's layers; token-level KD as
 * --divergence/--temperature/--alpha or --term; --on-policy and --sequence-kd), prepares the corpus
 * with the teacher's tokenizer (src/distill/language/distillationSetup.ts) and runs the distillation
 * (distillationRun.ts, which the recipe stage runs too); prints the teacher-vs-student table with
 * validation loss (nats/token), perplexity and parameters.
 */
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { loadTextFile } from '../data/text/corpus.js';
import { vocabPathFor } from '../data/text/vocab.js';
import { languageModelStepsPerEpoch } from '../data/text/windows.js';
import {
  defaultCheckpointEvery,
  languageDistillMethod,
  runLanguageDistillation,
  type LanguageDistillChoice,
  type LanguageDistillConfig,
  type LanguageDistillMetrics,
} from '../distill/language/distillationRun.js';
import { prepareLanguageDistillation } from '../distill/language/distillationSetup.js';
import type { LanguageStudentOrigin } from '../distill/language/student.js';
import { TOKEN_KD_DIVERGENCES, tokenKdTerms } from '../distill/language/tokenKd.js';
import { recordedTerms } from '../distill/terms/objective.js';
import { parseTermArgument } from '../distill/terms/registry.js';
import { crossEntropyTerm } from '../distill/terms/response.js';
import type { WeightedTerm } from '../distill/terms/types.js';
import { loadModel } from '../onnx/model.js';
import { sha256 } from '../train/modelSource.js';
import { formatFields, formatTable } from './format.js';
import { languageEpochTable, parseTextWindowFlags } from './textTraining.js';
import type { VariantFlags } from './distillVariants.js';
import { bad, choice, parseNumber, parseOptional, parseTrainingFlags, runSettingsFromFlags } from './trainingOptions.js';
import { commandRun, previousRun, printRun, requireCheckpoint } from './trainingRun.js';

/** Token-level KD's temperature when --temperature is not given: 1, as MiniLLM and GKD use (the classic default of 20 is for 10 classes). */
export const TEXT_TEMPERATURE = 1;

/** What `retort distill` hands over: its flags (the variants' among them), the text options and those refused with text. */
export interface TextDistillFlags extends VariantFlags {
  studentFromTeacherLayers?: string;
  divergence?: string;
  term?: string[];
  onPolicy?: string;
  sequenceKd?: string;
  context?: string;
  stepsPerEpoch?: string;
  validationFraction?: string;
  vocab?: string;
  clipNorm?: string;
  maxSteps?: string;
  checkpointEvery?: string;
  resume?: boolean;
  // Classification options, refused with text data.
  jitter?: boolean;
  omitClass?: string;
  validation?: string;
  hintEpochs?: string;
  teacherSignal?: string;
}

/** Fields a resumed run must share with the run that wrote the checkpoint (the Trainer checks the rest). */
const RESUME_FIELDS = ['teacher', 'student', 'data', 'tokenizer', 'context', 'validationFraction', 'limitTokens', 'terms', 'method'] as const;

export function addTextDistillOptions(command: Command): void {
  command
    .option('--student-from-teacher-layers <layers>', 'text data: the student is the teacher\'s blocks (embeddings, final norm and head included): every-other (DistilBERT\'s 0, 2, 4, ...) or a list such as 0,2')
    .addOption(new Option('--divergence <name>', `text data: token-level KD divergence at every position: ${TOKEN_KD_DIVERGENCES.join(', ')} (reverse-kl is MiniLLM's mode-seeking choice); ignored with --term`).default('forward-kl'))
    .option('--on-policy <settings>', 'text data: train on the student\'s own samples in rounds (GKD / MiniLLM\'s single-step term): every=STEPS[,fraction=1][,pool=BATCH][,prompt=1][,temperature=1][,top-k=K]')
    .option('--sequence-kd <settings>', 'text data: sequence-level KD (Kim & Rush 2016): the teacher samples text once, the student trains on it (cross-entropy unless --term): tokens=N[,prompt=1][,temperature=1][,top-k=K]')
    .option('--context <n>', "text data: window length in tokens (default the teacher's context)")
    .option('--steps-per-epoch <n>', 'text data: batches of windows per epoch (default: as many as hold the training tokens once)')
    .option('--validation-fraction <x>', 'text data: the fraction of tokens at the end of the file held out for validation, 0 for none', '0.1')
    .option('--vocab <file>', "text data: the teacher's vocabulary (retort-vocab JSON) when it carries none in its metadata or beside it")
    .option('--clip-norm <x>', 'text data: clip all gradients together to this global L2 norm');
}

/** `key=value,key=value` settings of one flag, checked against the keys it takes. */
function settingsOf(flag: string, text: string, keys: readonly string[]): Map<string, string> {
  const settings = new Map<string, string>();
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    if (!keys.includes(key) || eq < 0) throw bad(`${flag} "${text}": expected KEY=VALUE items with keys ${keys.join(', ')}; got "${item}"`);
    if (settings.has(key)) throw bad(`${flag} "${text}": ${key} is given twice`);
    settings.set(key, item.slice(eq + 1));
  }
  return settings;
}

function methodChoice(flags: TextDistillFlags): LanguageDistillChoice {
  if (flags.onPolicy !== undefined && flags.sequenceKd !== undefined) throw bad('Choose one of --on-policy and --sequence-kd');
  const num = (flag: string, settings: Map<string, string>, key: string, rule: Parameters<typeof parseNumber>[2]) => {
    const value = settings.get(key);
    return value === undefined ? undefined : parseNumber(`${flag} ${key}`, value, rule);
  };
  if (flags.onPolicy !== undefined) {
    const s = settingsOf('--on-policy', flags.onPolicy, ['every', 'fraction', 'pool', 'prompt', 'temperature', 'top-k']);
    const every = num('--on-policy', s, 'every', 'positive-int');
    if (every === undefined) throw bad(`--on-policy "${flags.onPolicy}": give every=STEPS (steps per round)`);
    const fraction = num('--on-policy', s, 'fraction', 'nonnegative');
    if (fraction !== undefined && fraction > 1) throw bad(`--on-policy fraction ${fraction}: expected a number in [0, 1]`);
    return { kind: 'on-policy', every, fraction, poolSize: num('--on-policy', s, 'pool', 'positive-int'), promptLength: num('--on-policy', s, 'prompt', 'positive-int'), temperature: num('--on-policy', s, 'temperature', 'nonnegative'), topK: num('--on-policy', s, 'top-k', 'positive-int') };
  }
  if (flags.sequenceKd !== undefined) {
    const s = settingsOf('--sequence-kd', flags.sequenceKd, ['tokens', 'prompt', 'temperature', 'top-k']);
    const tokens = num('--sequence-kd', s, 'tokens', 'positive-int');
    if (tokens === undefined) throw bad(`--sequence-kd "${flags.sequenceKd}": give tokens=N (how much text the teacher samples)`);
    return { kind: 'sequence-level', tokens, promptLength: num('--sequence-kd', s, 'prompt', 'positive-int'), temperature: num('--sequence-kd', s, 'temperature', 'nonnegative'), topK: num('--sequence-kd', s, 'top-k', 'positive-int') };
  }
  return { kind: 'token-level' };
}

function studentOrigin(flags: TextDistillFlags): LanguageStudentOrigin {
  const given = [flags.student, flags.studentArch, flags.studentFromTeacherLayers].filter((f) => f !== undefined).length;
  if (given !== 1) throw bad('Give exactly one of --student FILE.onnx, --student-arch gpt:... or --student-from-teacher-layers every-other|0,2,...');
  if (flags.student !== undefined) return { kind: 'file', path: resolve(flags.student) };
  if (flags.studentArch !== undefined) return { kind: 'arch', arch: flags.studentArch };
  const text = flags.studentFromTeacherLayers!.trim();
  return { kind: 'teacher-layers', layers: text === 'every-other' ? 'every-other' : text.split(',').map((l) => parseNumber('--student-from-teacher-layers', l.trim(), 'nonnegative-int')) };
}

/** The options of the classification path that have no meaning for text, named if given. */
function refuseClassificationOptions(flags: TextDistillFlags): void {
  const given: string[] = [];
  if (flags.teacher.length !== 1) given.push(flags.teacher.length === 0 ? 'no --teacher (give one)' : 'several --teacher (ensembles take class data)');
  const named: [unknown, string][] = [
    [flags.jitter, '--jitter'], [flags.omitClass, '--omit-class'], [flags.validation, '--validation (give --validation-fraction)'],
    [flags.hintEpochs !== undefined && flags.hintEpochs !== '0' ? flags.hintEpochs : undefined, '--hint-epochs'],
    [flags.teacherSignal === 'cached' ? 'cached' : undefined, '--teacher-signal cached (the teacher runs on every batch of windows)'],
    [flags.teacherWeights, '--teacher-weights'], [flags.bornAgain, '--born-again'], [flags.auxHead, '--aux-head'], [flags.mutual, '--mutual'],
    [flags.longTail, '--long-tail'], [flags.classWeighting, '--class-weighting'],
  ];
  for (const [value, name] of named) if (value !== undefined && value !== false) given.push(name);
  if (given.length > 0) throw bad(`Text data (language-model distillation) does not take: ${given.join(', ')}`);
}

/** The objective: --term, else token-level KD from --divergence/--temperature/--alpha (cross-entropy alone for --sequence-kd). */
function objective(flags: TextDistillFlags, method: LanguageDistillChoice, temperatureGiven: boolean): WeightedTerm[] {
  if (flags.term && flags.term.length > 0) return flags.term.map(parseTermArgument);
  if (method.kind === 'sequence-level') {
    if (temperatureGiven || flags.divergence !== 'forward-kl') throw bad('--sequence-kd trains on cross-entropy with the teacher\'s text; --temperature and --divergence apply to token-level KD (give --term kd:... to add it)');
    return [{ name: 'ce', weight: 1, term: crossEntropyTerm() }];
  }
  const alpha = parseNumber('--alpha', flags.alpha, 'nonnegative');
  if (alpha > 1) throw bad(`--alpha "${flags.alpha}": expected a number in [0, 1] (the weight of the cross-entropy on the next tokens; the divergence gets 1 - alpha)`);
  const temperature = temperatureGiven ? parseNumber('--temperature', flags.temperature, 'positive') : TEXT_TEMPERATURE;
  return tokenKdTerms({ divergence: choice('--divergence', flags.divergence ?? 'forward-kl', TOKEN_KD_DIVERGENCES), temperature, alpha });
}

const fixed = (x: number | undefined, digits: number): string => (x === undefined ? '' : x.toFixed(digits));

function printSummary(metrics: LanguageDistillMetrics): void {
  const unit = metrics.data.tokenizer === 'char' ? 'char' : 'byte';
  process.stdout.write(languageEpochTable(metrics.epochs, unit) + '\n\n');
  const row = (name: string, parameters: number, v: LanguageDistillMetrics['validation']) => [name, parameters, `${((100 * parameters) / metrics.teacher.parameters).toFixed(1)}`, fixed(v?.loss, 4), fixed(v?.perplexity, 2), fixed(v?.bitsPerToken, 3)];
  const rows = [row('teacher', metrics.teacher.parameters, metrics.teacher.validation), row('student', metrics.student.parameters, metrics.validation)];
  process.stdout.write(formatTable(['model', 'parameters', '% of teacher', 'val loss', 'val ppl', `val bits/${unit}`], rows) + '\n\n');
  const m = metrics.method;
  const method =
    m.kind === 'on-policy'
      ? `on-policy: ${m.onPolicyRounds} of ${m.rounds} rounds of ${metrics.config.method.kind === 'on-policy' ? metrics.config.method.every : '?'} steps on the student's samples (${m.sampledTokens} tokens sampled in ${m.samplingSeconds.toFixed(1)} s)`
      : m.kind === 'sequence-level'
        ? `sequence-level KD on ${m.sampledTokens} tokens the teacher sampled (${m.sequences} sequences of ${m.sequenceLength}, ${m.seconds.toFixed(1)} s)`
        : 'token-level, on random windows of the text';
  const fields: [string, string][] = [
    ['status', metrics.status],
    ['loss', metrics.config.terms.map((t) => `${JSON.stringify(t.weight)} x ${t.name} (${t.kind}${'divergence' in t.options ? `, ${String(t.options.divergence)}` : ''}${'temperature' in t.options ? `, T ${String(t.options.temperature)}` : ''})`).join(' + ')],
    ['method', method],
    ['data', `${metrics.data.trainTokens} training and ${metrics.data.validationTokens} validation tokens; ${metrics.data.tokenizer} tokenizer from ${metrics.data.tokenizerSource}`],
    ['steps', `${metrics.steps} (${metrics.stepsPerEpoch} per epoch, ${metrics.config.batchSize} windows of ${metrics.config.context} tokens)`],
    ['time', `${metrics.timings.totalSeconds.toFixed(1)} s (teacher ${metrics.timings.teacherSeconds.toFixed(1)} s, training ${metrics.timings.trainSeconds.toFixed(1)} s, ${Math.round(metrics.timings.tokensPerSecond)} tokens/s)`],
  ];
  process.stdout.write(formatFields(fields) + '\n');
}

/** `fileNames`: the base names `retort distill` writes in OUT (student, metrics, checkpoint). */
export async function runTextDistillation(flags: TextDistillFlags, textPath: string, fileNames: { model: string; metrics: string; checkpoint: string }, argv: readonly string[], temperatureGiven: boolean): Promise<void> {
  const started = performance.now();
  refuseClassificationOptions(flags);
  const settings = parseTrainingFlags(flags);
  const { batchSize, seed } = settings;
  const choiceMade = methodChoice(flags);
  const method = languageDistillMethod(choiceMade, batchSize);
  const terms = objective(flags, choiceMade, temperatureGiven);
  const origin = studentOrigin(flags);
  const { validationFraction, limitTokens, context: requestedContext, stepsPerEpoch: requestedSteps } = parseTextWindowFlags(flags);
  const clipNorm = parseOptional('--clip-norm', flags.clipNorm, 'positive');
  const checkpointEvery = parseOptional('--checkpoint-every', flags.checkpointEvery, 'positive-int');
  const out = resolve(flags.out);
  const files = { model: join(out, fileNames.model), vocab: vocabPathFor(join(out, fileNames.model)), metrics: join(out, fileNames.metrics), checkpoint: join(out, fileNames.checkpoint) };
  requireCheckpoint(flags.resume, files.checkpoint);

  const path = resolve(textPath);
  const teacherPath = resolve(flags.teacher[0]!);
  const teacher = loadModel(teacherPath);
  const prepared = prepareLanguageDistillation({
    teacher,
    teacherPath,
    ...(flags.vocab !== undefined ? { vocabFile: resolve(flags.vocab) } : {}),
    loadCorpus: (tokenizer) => loadTextFile(path, { tokenizer, validationFraction, ...(limitTokens !== null ? { limit: limitTokens } : {}) }),
    student: origin,
    context: requestedContext,
    seed,
  });
  const { corpus, context } = prepared;
  const stepsPerEpoch = requestedSteps ?? languageModelStepsPerEpoch(corpus.train.length, batchSize, context);
  const config: LanguageDistillConfig = {
    teacher: { path: teacherPath, sha256: sha256(teacherPath) },
    student: prepared.studentRecord,
    data: `text:${path}`,
    tokenizer: corpus.tokenizer.spec.kind,
    context,
    validationFraction,
    limitTokens,
    stepsPerEpoch,
    ...runSettingsFromFlags(flags, settings, stepsPerEpoch),
    clipNorm,
    checkpointEvery: checkpointEvery ?? defaultCheckpointEvery(method, stepsPerEpoch),
    terms: recordedTerms(terms),
    method,
  };
  const previous = previousRun<LanguageDistillMetrics>(flags.resume, files.metrics, config, RESUME_FIELDS);
  const { metrics } = await runLanguageDistillation({
    teacher,
    prepared,
    config,
    terms,
    files,
    previous,
    ...commandRun(flags, started),
  });
  printRun(metrics, flags.json, argv, printSummary);
}
