/**
 * `retort distill --teacher T.onnx (--student S.onnx | --student-arch SPEC) --data mnist --out DIR`:
 * train a student on the teacher's softened outputs (Hinton, Vinyals & Dean 2015) and write
 * DIR/student.onnx, DIR/metrics.json and DIR/checkpoint.ckpt (which `--resume` continues from).
 *
 * `--omit-class K` is the paper's §3 experiment: the transfer set holds no K at all, and afterwards
 * the student's output bias for K is raised by the offset that is best on a held-out validation
 * split of the training set (which has Ks); the test set only measures.
 */
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { modelInputDims } from '../../data/forModel.js';
import { DATA_SOURCES, loadDataSource, TEXT_SOURCE_PREFIX, textSourcePath } from '../../data/sources.js';
import { findOutputBias } from '../../distill/biasCorrection.js';
import { omitClass } from '../../distill/omitClass.js';
import { splitHintTerms } from '../../distill/hintStage.js';
import { parseTermArgument, termHelp } from '../../distill/terms/registry.js';
import type { WeightedTerm } from '../../distill/terms/types.js';
import { ARCHITECTURE_EXAMPLES, parseArchitecture } from '../../models/spec.js';
import { loadModel } from '../../onnx/model.js';
import { recordedTerms, runDistillation, TEACHER_SIGNALS, type DistillConfig, type DistillMetrics } from '../../recipe/stages/distillRun.js';
import { runSteps } from '../../train/classifierRun.js';
import { jitterAugmentation } from '../../train/jitter.js';
import { modelToTrain, sha256 } from '../../train/modelSource.js';
import { BLACK_BOX_HELP, blackBoxOptions, isBlackBox, runBlackBoxDistill } from '../blackBoxDistill.js';
import { isVariant, registerVariantOptions, runVariant, type VariantFlags } from '../distillVariants.js';
import { printSummary } from '../distillReport.js';
import { addTextDistillOptions, runTextDistillation, TEXT_TEMPERATURE, type TextDistillFlags } from '../textDistill.js';
import { bad, choice, optimizationOptions, parseNumber, parseOptional, parseTrainingFlags, scheduleFor, validationSize as parseValidationSize } from '../trainingOptions.js';
import { commandRun, holdOutValidation, previousRun, printRun, requireCheckpoint } from '../trainingRun.js';

export const STUDENT_FILE = 'student.onnx';
/** The student as trained, before the omitted class's bias is raised (only with --omit-class). */
export const UNCORRECTED_STUDENT_FILE = 'student-before-bias-correction.onnx';
export const METRICS_FILE = 'metrics.json';
export const CHECKPOINT_FILE = 'checkpoint.ckpt';
/** Jitter of Hinton et al. 2015, §3: "jittered by up to two pixels in any direction". */
const JITTER_PIXELS = 2;

/** The variants' flags (registerVariantOptions; repeated --teacher makes an ensemble), the text options and the classic run's. */
interface DistillFlags extends VariantFlags, TextDistillFlags {
  jitter?: boolean;
  teacherSignal: string;
  validation?: string;
  maxSteps?: string;
  checkpointEvery?: string;
  resume?: boolean;
  omitClass?: string;
  term?: string[];
  hintEpochs?: string;
  /** Black-box teachers: blackBoxDistill.ts. */
  teacherOutputs?: string;
  teacherCommand?: string;
  teacherArg?: string[];
}

/** Fields a resumed run must share with the run that wrote the checkpoint (the Trainer checks the rest). */
const RESUME_FIELDS = ['teacher', 'student', 'data', 'limitTrain', 'validation', 'omitClass', 'temperature', 'alpha', 'jitter', 'terms', 'hintEpochs'] as const;

async function runDistill(flags: DistillFlags, argv: readonly string[], command: Command): Promise<void> {
  // A teacher known only by its labels or top-k probabilities: blackBoxDistill.ts.
  if (isBlackBox(flags)) return runBlackBoxDistill(flags, command.getOptionValueSource('temperature') !== 'default');
  // Language models (text:PATH): textDistill.ts.
  const textPath = textSourcePath(flags.data);
  if (textPath !== null) {
    const files = { model: STUDENT_FILE, metrics: METRICS_FILE, checkpoint: CHECKPOINT_FILE };
    return runTextDistillation(flags, textPath, files, argv, command.getOptionValueSource('temperature') !== 'default');
  }
  // Ensembles, long-tailed data, born-again, auxiliary heads and mutual learning: distillVariants.ts.
  if (isVariant(flags)) return runVariant(flags);
  const started = performance.now();
  // --- Validate the command line before any work.
  if ((flags.student === undefined) === (flags.studentArch === undefined)) {
    throw bad('Give exactly one of --student FILE.onnx (an ONNX student to train) or --student-arch SPEC (a student to build, e.g. mlp:800,800)');
  }
  const dataName = choice('--data', flags.data, DATA_SOURCES);
  const temperature = parseNumber('--temperature', flags.temperature, 'positive');
  const alpha = parseNumber('--alpha', flags.alpha, 'nonnegative');
  if (alpha > 1) throw bad(`--alpha "${flags.alpha}": expected a number in [0, 1] (the weight of the hard-label term; the soft term gets 1 - alpha)`);
  const settings = parseTrainingFlags(flags);
  const { epochs, batchSize, optimizer, seed } = settings;
  const teacherSignal = choice('--teacher-signal', flags.teacherSignal, TEACHER_SIGNALS);
  const jitter = Boolean(flags.jitter);
  if (jitter && teacherSignal === 'cached') {
    throw bad('--teacher-signal cached cannot go with --jitter: the teacher must see the same jittered images as the student (use auto or per-batch)');
  }
  const maxSteps = parseOptional('--max-steps', flags.maxSteps, 'positive-int');
  const limitTrain = parseOptional('--limit-train', flags.limitTrain, 'positive-int');
  const validationSize = parseValidationSize(flags.validation, limitTrain);
  const omittedClass = parseOptional('--omit-class', flags.omitClass, 'nonnegative-int');
  if (omittedClass !== null && validationSize === 0) throw bad('--omit-class needs a validation split (--validation > 0) to choose the bias correction on');
  const threads = parseNumber('--threads', flags.threads, 'nonnegative-int');
  const architecture = flags.studentArch === undefined ? undefined : parseArchitecture(flags.studentArch);
  const terms: WeightedTerm[] | undefined = flags.term && flags.term.length > 0 ? flags.term.map(parseTermArgument) : undefined;
  const hintEpochs = flags.hintEpochs === undefined ? 0 : parseNumber('--hint-epochs', flags.hintEpochs, 'nonnegative-int');
  if (hintEpochs > 0) {
    const split = splitHintTerms(terms ?? []);
    if (split.hints.length === 0) throw bad('--hint-epochs needs at least one hint term (--term fitnet:student=VALUE,teacher=VALUE)');
    if (split.rest.length === 0) throw bad('--hint-epochs: stage 2 needs terms besides the hints (e.g. --term kd:temperature=4 --term ce)');
  }
  if (hintEpochs > 0 && flags.resume) throw bad('--resume continues stage 2 only from its checkpoint; it cannot go with --hint-epochs (run stage 1 again without --resume)');

  const outDir = resolve(flags.out);
  const files = { model: join(outDir, STUDENT_FILE), uncorrectedModel: join(outDir, UNCORRECTED_STUDENT_FILE), metrics: join(outDir, METRICS_FILE), checkpoint: join(outDir, CHECKPOINT_FILE) };
  requireCheckpoint(flags.resume, files.checkpoint);

  // --- Models and data.
  const { model: student, source: studentSource } = modelToTrain(architecture ? { arch: architecture } : { path: flags.student! }, seed);
  const sources = loadDataSource(dataName, { inputDims: modelInputDims(student) });
  const classes = sources.train.numClasses;
  if (omittedClass !== null && omittedClass >= classes) throw bad(`--omit-class ${omittedClass}: ${dataName} has classes 0..${classes - 1}`);
  // Fail before training, not after, when the student has no output bias to correct.
  if (omittedClass !== null) findOutputBias(student);
  const teacherPath = resolve(flags.teacher[0]!);
  const teacher = loadModel(teacherPath);

  const { train, validation } = holdOutValidation(sources.train, limitTrain, validationSize);
  const transferSet = omittedClass === null ? train : omitClass(train, omittedClass);
  if (transferSet.length < batchSize) throw bad(`--batch-size ${batchSize}: larger than the ${transferSet.length} samples of the transfer set`);
  const { stepsPerEpoch } = runSteps(transferSet.length, { batchSize, epochs, maxSteps });
  // The schedule spans the whole run (epochs), not a --max-steps budget, so interrupted and whole runs agree.
  const schedule = scheduleFor(flags, settings, stepsPerEpoch);
  const checkpointEvery = parseOptional('--checkpoint-every', flags.checkpointEvery, 'positive-int') ?? stepsPerEpoch;
  // Checked here so a bad --jitter names the flag before any work.
  if (jitter) jitterAugmentation(transferSet, JITTER_PIXELS, '--jitter');

  const config: DistillConfig = {
    teacher: { path: teacherPath, sha256: sha256(teacherPath) },
    student: studentSource,
    data: dataName,
    limitTrain,
    validation: validationSize,
    omitClass: omittedClass,
    temperature,
    alpha,
    epochs,
    batchSize,
    seed,
    optimizer,
    schedule,
    jitter: jitter ? JITTER_PIXELS : 0,
    teacherSignal,
    checkpointEvery,
    maxSteps,
    threads,
    ...(terms ? { terms: recordedTerms(terms) } : {}),
    ...(hintEpochs > 0 ? { hintEpochs } : {}),
  };
  const previous = previousRun<DistillMetrics>(flags.resume, files.metrics, config, RESUME_FIELDS);
  const { metrics } = await runDistillation({
    teacher,
    student,
    config,
    data: { train: transferSet, ...(validation ? { validation } : {}), test: sources.test },
    omittedSamples: train.length - transferSet.length,
    ...(terms ? { terms } : {}),
    files,
    previous,
    ...commandRun(flags, started),
  });
  printRun(metrics, flags.json, argv, printSummary);
}

export function registerDistill(program: Command): void {
  const command = program
    .command('distill')
    .description(
      'Distill a teacher ONNX model into a student (Hinton, Vinyals & Dean 2015): the student is trained on ' +
        'alpha x cross-entropy with the labels + (1 - alpha) x T^2 x KL between the teacher\'s and its own outputs softened at temperature T, ' +
        'one ORT call per step. Writes OUT/student.onnx, OUT/metrics.json (config, per-epoch history, test errors per class, ' +
        `agreement with the teacher, timings) and OUT/${CHECKPOINT_FILE}. With --omit-class K (the paper's section 3 experiment) ` +
        'the transfer set has no K, and the student\'s output bias for K is then raised by the offset that makes the fewest errors ' +
        'on the validation split (chosen from 0 to 10 in steps of 0.25); the table shows the student before and after.',
    )
    .option('--teacher <file>', 'teacher ONNX model; its first input takes the data, its first output gives the logits; repeat for an ensemble (see --teacher-weights); not needed with --mutual or --aux-head', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--student <file>', 'student ONNX model to train (e.g. exported from PyTorch)')
    .option('--student-arch <spec>', `student architecture to build: ${ARCHITECTURE_EXAMPLES}`)
    .addOption(new Option('--data <name>', `training data: ${DATA_SOURCES.join(', ')}, or ${TEXT_SOURCE_PREFIX}PATH (a text file: a GPT-style teacher distilled into a language-model student; see "Text data" below)`).makeOptionMandatory())
    .requiredOption('--out <dir>', 'output folder for student.onnx, metrics.json and the checkpoint (created if missing)')
    .option('--temperature <T>', `classic KD: softmax temperature of the soft targets, > 0 (the paper uses 20 on MNIST; with text data the default is ${TEXT_TEMPERATURE}); ignored with --term`, '20')
    .option('--alpha <x>', 'classic KD: weight of the hard-label cross-entropy in [0, 1]; the soft term gets 1 - alpha (0 = soft targets only; text data: the cross-entropy on the next tokens); ignored with --term', '0.1')
    .option('--epochs <n>', 'passes over the transfer set', '10')
    .option('--batch-size <n>', 'samples per step (the last partial batch of an epoch is dropped)', '128');
  for (const option of optimizationOptions()) command.addOption(option);
  command
    .option('--seed <n>', 'seed of the student\'s initial weights (--student-arch), the epoch shuffles, the dropout masks and the jitter', '0')
    .option('--jitter', `augment the transfer set: shift each image by up to ${JITTER_PIXELS} pixels each way (the teacher then runs on every batch)`)
    .option('--teacher-signal <mode>', `teacher logits: ${TEACHER_SIGNALS.join(', ')} (auto: computed once and cached, or per batch with --jitter)`, 'auto')
    .option('--validation <n>', 'hold out the last n training samples for validation and the bias correction, 0 for none (default 5000, or a tenth of --limit-train)')
    .option('--limit-train <n>', 'use the first n training samples only (quick runs); the validation split comes out of them (text data: the first n tokens of the file)')
    .option('--max-steps <n>', 'stop after n steps in all (the schedule still spans --epochs); continue later with --resume')
    .option('--checkpoint-every <n>', `write OUT/${CHECKPOINT_FILE} every n steps (default: every epoch); also written when the run ends or stops`)
    .option('--resume', `continue exactly from OUT/${CHECKPOINT_FILE}; the command line must describe the same run`)
    .option('--omit-class <k>', 'leave every training example of class k out of the transfer set, then correct the student\'s output bias for k on the validation split')
    .option(
      '--term <spec>',
      'a term of the distillation objective, KIND[:OPTION=VALUE,...]; repeat for a weighted sum of terms (replaces the classic --temperature/--alpha objective; see the list below)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--hint-epochs <n>', 'FitNets two-stage training: first n epochs on the fitnet terms alone (only the layers up to the guided values and the regressors learn), then --epochs on the other terms', '0')
    .option('--threads <n>', 'ORT intra-op threads, 0 to let ORT choose', '0')
    .option('--json', 'print the metrics as JSON on stdout (no progress output)');
  registerVariantOptions(command);
  for (const option of blackBoxOptions()) command.addOption(option);
  addTextDistillOptions(command);
  command
    .addHelpText('after', `
Distillation terms (--term KIND:OPTION=VALUE,...; every value name is an ONNX value name of the student or the teacher):
${termHelp()}
  A schedule is a number or FROM>TO@STEPS (linear over STEPS updates, then TO), or FROM>TO@STEPS~cosine.
  Each term's value is reported as a metric by its name; the loss is the weighted sum.
  In a recipe (retort run), the distill stage takes the same terms as a list of { key, weight, name, kwargs },
  e.g. terms: [ { key: ce, weight: 0.1 }, { key: kd, weight: 0.9, kwargs: { temperature: 4 } } ], and key
  hinton for classic KD ({ key: hinton, kwargs: { temperature: 4, alpha: 0.1 } }: ce weighted alpha + kd weighted 1 - alpha).

Examples:
  classic KD (Hinton et al. 2015), the default objective:
    retort distill --teacher t.onnx --student-arch mlp:800,800 --data mnist --out out --temperature 20 --alpha 0.1
  the same objective written as terms, with the temperature annealed from 8 to 2:
    retort distill ... --term ce:weight=0.1 --term 'kd:weight=0.9,temperature=8>2@5000'
  reverse KL (MiniLLM) plus hard labels:
    retort distill ... --term kd:divergence=reverse-kl,temperature=1,weight=0.9 --term ce:weight=0.1
  FitNets, two stages (hints for 2 epochs, then KD):
    retort distill ... --term fitnet:student=relu1,teacher=relu2 --term kd:temperature=4,weight=0.9 --term ce:weight=0.1 --hint-epochs 2
  attention transfer between paired conv blocks (quote the ; for the shell), with KD:
    retort distill ... --term 'at:pairs=layer1.0:layer1.0;layer2.0:layer2.0,weight=1000' --term kd:temperature=4,weight=0.9 --term ce:weight=0.1
  relational KD on embeddings:
    retort distill ... --term rkd:student=flatten,teacher=flatten,distance=25,angle=50 --term ce

Text data (--data text:PATH; language models: token ids int64 [batch, seq] in, logits [batch, seq, vocab] out):
  The text is tokenized with the teacher's tokenizer (its metadata, TEACHER.vocab.json beside it, or --vocab)
  and split like retort train's (--validation-fraction, default the last 10%). Each step takes --batch-size
  random windows of --context tokens (default the teacher's context); the teacher runs on every batch.
  The student is --student FILE, --student-arch gpt:... (built for the teacher's vocabulary) or
  --student-from-teacher-layers every-other|0,2 (DistilBERT's initialization). The default objective is
  token-level KD at every position: alpha x cross-entropy on the next tokens + (1 - alpha) x T^2 x D(teacher, student)
  with D from --divergence (forward-kl, reverse-kl, js) at --temperature (default ${TEXT_TEMPERATURE}); --term replaces it.
  --on-policy trains on the student's own samples (every=STEPS per round, fraction of rounds, pool of
  sequences, prompt tokens of real text, sampling temperature and top-k); --sequence-kd trains on text the
  teacher sampled once (tokens=N, prompt, temperature, top-k) with cross-entropy unless --term is given.
  Writes OUT/student.onnx (tokenizer and context in its metadata), OUT/student.vocab.json, OUT/metrics.json
  (validation loss in nats/token, perplexity and bits per token after each epoch, the teacher's, parameters of
  both) and OUT/${CHECKPOINT_FILE}; --resume, --max-steps and --checkpoint-every work as for classes
  (on-policy runs stop and checkpoint at round boundaries: multiples of every).

  forward KL from a character-level GPT teacher into a quarter-size student:
    retort distill --teacher runs/teacher/model.onnx --student-arch gpt:layers=2,dim=64,heads=4,context=128 \
      --data text:../shared/data/tinyshakespeare.txt --out runs/student --epochs 4 --batch-size 32 \
      --optimizer adamw --lr 0.003 --clip-norm 1 --alpha 0.5
  reverse KL on the student's own samples in half the rounds, from every other teacher layer:
    retort distill ... --student-from-teacher-layers every-other --divergence reverse-kl --on-policy every=4,fraction=0.5,pool=32,prompt=32
  sequence-level KD on 400,000 tokens the teacher samples:
    retort distill ... --student-arch gpt:layers=2,dim=64,heads=4,context=128 --sequence-kd tokens=400000,temperature=1
`)
    .addHelpText('after', BLACK_BOX_HELP)
    .action(async (flags: DistillFlags, command: Command) => runDistill(flags, process.argv, command));
}
