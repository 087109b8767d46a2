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
import { batchCount } from '../../data/batches.js';
import { reshapeInputs, sampleSize, type Dataset } from '../../data/dataset.js';
import { modelInputDims } from '../../data/forModel.js';
import { MNIST_IMAGE_DIMS } from '../../data/mnist.js';
import { DATA_SOURCES, loadDataSource } from '../../data/sources.js';
import { chooseBiasOffset, countErrors, findOutputBias, offsetGrid, withClassBias, type ClassErrors } from '../../distill/biasCorrection.js';
import { createDistillationTrainer } from '../../distill/distill.js';
import { omitClass } from '../../distill/omitClass.js';
import { hintPretrain, splitHintTerms } from '../../distill/hintStage.js';
import { parseTermArgument, termHelp } from '../../distill/terms/registry.js';
import type { WeightedTerm } from '../../distill/terms/types.js';
import { teacherAgreement } from '../../eval/fidelity.js';
import { datasetLogits, type DatasetLogits } from '../../eval/logits.js';
import { predictionsOf } from '../../eval/metrics/predictions.js';
import { parseArchitecture } from '../../models/spec.js';
import { Graph } from '../../onnx/graph.js';
import { encodeModel, loadModel, saveModel } from '../../onnx/model.js';
import { parameterCount } from '../../onnx/parameters.js';
import type { ModelProto } from '../../onnx/proto.js';
import { Session } from '../../runtime/session.js';
import type { Augmentation, TrainerConfig } from '../../train/trainer.js';
import { isVariant, registerVariantOptions, runVariant, type VariantFlags } from '../distillVariants.js';
import { pct, printSummary, type ClassSummary, type DistillConfig, type DistillEpoch, type DistillMetrics, type TestErrors } from '../distillReport.js';
import { bad, choice, optimizationOptions, parseNumber, parseOptional, parseTrainingFlags, scheduleFor, validationSize as parseValidationSize } from '../trainingOptions.js';
import { epochsBefore, finishRun, holdOutValidation, modelToTrain, previousRun, printRun, requireCheckpoint, sha256, trainEpochs } from '../trainingRun.js';

export const STUDENT_FILE = 'student.onnx';
/** The student as trained, before the omitted class's bias is raised (only with --omit-class). */
export const UNCORRECTED_STUDENT_FILE = 'student-before-bias-correction.onnx';
export const METRICS_FILE = 'metrics.json';
export const CHECKPOINT_FILE = 'checkpoint.ckpt';
const TEACHER_SIGNALS = ['auto', 'cached', 'per-batch'] as const;
/** Bias offsets searched for the omitted class: 0 to 10 in steps of 0.25 (the paper's 3.5 is inside). */
const BIAS_GRID = { max: 10, step: 0.25 };
/** Jitter of Hinton et al. 2015, §3: "jittered by up to two pixels in any direction". */
const JITTER_PIXELS = 2;

/** The variants' flags (registerVariantOptions; repeated --teacher makes an ensemble) and the classic run's. */
interface DistillFlags extends VariantFlags {
  jitter?: boolean;
  teacherSignal: string;
  validation?: string;
  maxSteps?: string;
  checkpointEvery?: string;
  resume?: boolean;
  omitClass?: string;
  term?: string[];
  hintEpochs?: string;
}

/** Fields a resumed run must share with the run that wrote the checkpoint (the Trainer checks the rest). */
const RESUME_FIELDS = ['teacher', 'student', 'data', 'limitTrain', 'validation', 'omitClass', 'temperature', 'alpha', 'jitter', 'terms', 'hintEpochs'] as const;

/** Image dims of the data for jitter: the samples' own [C, H, W], or MNIST's 28x28 when flat. */
function jitterFor(dataset: Dataset): Augmentation {
  const dims = dataset.inputDims;
  if (dims.length === 3) return { kind: 'jitter', maxShift: JITTER_PIXELS, channels: dims[0]!, height: dims[1]!, width: dims[2]! };
  const [, height, width] = MNIST_IMAGE_DIMS;
  if (sampleSize(dataset) !== height * width) throw bad(`--jitter: samples of [${dims.join(', ')}] are not 28x28 images`);
  return { kind: 'jitter', maxShift: JITTER_PIXELS, height, width };
}

async function logitsOf(model: ModelProto, dataset: Dataset, threads: number): Promise<DatasetLogits> {
  const session = await Session.create(encodeModel(model), { name: 'evaluation model', threads });
  try {
    return await datasetLogits(session, dataset);
  } finally {
    await session.dispose();
  }
}

function testErrors(scored: DatasetLogits, teacher: DatasetLogits): TestErrors {
  const { samples, errors, errorPercent, perClass }: ClassErrors = countErrors(scored);
  return { samples, errors, errorPercent, perClass, teacherAgreement: teacherAgreement(predictionsOf(teacher), predictionsOf(scored)) };
}

function classSummary(errors: ClassErrors, classIndex: number): ClassSummary {
  const { samples, errorPercent } = errors;
  return { samples, errors: errors.errors, errorPercent, classSamples: errors.perClass[classIndex]!.samples, classErrors: errors.perClass[classIndex]!.errors };
}

async function runDistill(flags: DistillFlags, argv: readonly string[]): Promise<void> {
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
  const metricsPath = join(outDir, METRICS_FILE);
  const checkpointPath = join(outDir, CHECKPOINT_FILE);
  requireCheckpoint(flags.resume, checkpointPath);

  // --- Models and data.
  const { model: student, source: studentSource } = modelToTrain(architecture, flags.student, seed);
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
  const stepsPerEpoch = batchCount(transferSet.length, batchSize, true);
  const totalSteps = Math.min(maxSteps ?? Infinity, epochs * stepsPerEpoch);
  // The schedule spans the whole run (epochs), not a --max-steps budget, so interrupted and whole runs agree.
  const schedule = scheduleFor(flags, settings, stepsPerEpoch);
  const checkpointEvery = parseOptional('--checkpoint-every', flags.checkpointEvery, 'positive-int') ?? stepsPerEpoch;
  const augmentation = jitter ? jitterFor(transferSet) : undefined;

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
    jitter,
    teacherSignal,
    checkpointEvery,
    maxSteps,
    threads,
    ...(terms ? { terms: terms.map((t) => ({ name: t.name, weight: t.weight, kind: t.term.kind, options: t.term.options })) } : {}),
    ...(hintEpochs > 0 ? { hintEpochs } : {}),
  };
  const previous = previousRun<DistillMetrics>(flags.resume, metricsPath, config, RESUME_FIELDS);

  // The teacher's test logits: its own errors, and the reference for the student's agreement.
  const teacherStarted = performance.now();
  const teacherDims = modelInputDims(teacher);
  const teacherTestSet = teacherDims === null ? sources.test : reshapeInputs(sources.test, teacherDims);
  const teacherTest = await logitsOf(teacher, teacherTestSet, threads);
  const teacherSeconds = (performance.now() - teacherStarted) / 1000;
  const studentTestErrors = async (model: ModelProto): Promise<{ scored: DatasetLogits; errors: TestErrors }> => {
    const scored = await logitsOf(model, sources.test, threads);
    return { scored, errors: testErrors(scored, teacherTest) };
  };

  const trainerConfig: Omit<TrainerConfig, 'loss' | 'maxSteps'> = {
    batchSize,
    epochs,
    seed,
    optimizer,
    schedule,
    checkpoint: { path: checkpointPath, everySteps: checkpointEvery },
    threads,
    progress: flags.json ? 'silent' : 'auto',
    ...(augmentation ? { augmentation } : {}),
  };
  const trainData = { train: transferSet, ...(validation ? { validation } : {}) };
  let stageTwoStudent = student;
  let stageTwoTerms = terms;
  if (hintEpochs > 0) {
    // FitNets stage 1 (Romero et al. 2015): hints only, up to the guided layers; no checkpoint of its own.
    const t0 = performance.now();
    const { checkpoint: _checkpoint, ...stageOneConfig } = trainerConfig;
    void _checkpoint;
    const stageOne = await hintPretrain({ teacher, student, data: { train: transferSet }, trainer: { ...stageOneConfig, epochs: hintEpochs }, terms: terms!, teacherSignal });
    if (!flags.json) process.stderr.write(`FitNets stage 1: ${stageOne.steps} steps of hint training, last hint loss ${stageOne.lastLoss.toFixed(5)}, ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    stageTwoStudent = stageOne.student;
    stageTwoTerms = splitHintTerms(terms!).rest;
  }
  const teacherStarted2 = performance.now();
  const run = await createDistillationTrainer(
    { teacher, student: stageTwoStudent, data: trainData, trainer: trainerConfig, ...(stageTwoTerms ? { terms: stageTwoTerms } : { kd: { temperature, alpha } }), teacherSignal },
    flags.resume ? checkpointPath : undefined,
  );
  const { trainer } = run;
  // Opening the teacher and, when cached, computing its logits over the transfer set.
  const cacheSeconds = (performance.now() - teacherStarted2) / 1000;
  const resumedFromStep = flags.resume ? trainer.step : null;
  const metrics: DistillMetrics = {
    format: 'retort-distill-metrics',
    version: 1,
    status: 'running',
    date: new Date().toISOString(),
    config,
    teacherSignal: run.teacherSignal,
    teacher: { parameters: parameterCount(new Graph(teacher.graph!)), test: testErrors(teacherTest, teacherTest) },
    student: { parameters: parameterCount(new Graph(student.graph!)), inputDims: [...transferSet.inputDims] },
    data: { name: dataName, transferSet: transferSet.length, omittedSamples: train.length - transferSet.length, validation: validation?.length ?? 0, test: sources.test.length, inputDims: [...transferSet.inputDims] },
    stepsPerEpoch,
    steps: trainer.step,
    epochs: epochsBefore(previous, trainer.step, stepsPerEpoch),
    test: null,
    biasCorrection: null,
    timings: { setupSeconds: 0, teacherSeconds: teacherSeconds + cacheSeconds, trainSeconds: 0, testSeconds: 0, biasCorrectionSeconds: 0, totalSeconds: 0, samplesPerSecond: 0 },
    resumedFromStep,
  };
  metrics.timings.setupSeconds = (performance.now() - started) / 1000;
  const note = (text: string): void => {
    if (!flags.json) process.stderr.write(`${text}\n`);
  };
  const timed = async <T>(key: 'testSeconds' | 'biasCorrectionSeconds', work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      metrics.timings[key] += (performance.now() - t0) / 1000;
    }
  };

  let trained: ModelProto;
  try {
    // Each epoch ends with a test pass.
    await trainEpochs({
      trainer,
      totalSteps,
      stepsPerEpoch,
      batchSize,
      metrics,
      metricsPath,
      onEpoch: async ({ record, result, seconds, samplesPerSecond }) => {
        const { errors } = await timed('testSeconds', () => studentTestErrors(result.model));
        const v = record.validation;
        const validationErrors = v ? v.samples - Math.round(v.accuracy * v.samples) : 0;
        const epoch: DistillEpoch = {
          epoch: record.epoch + 1,
          steps: trainer.step,
          trainLoss: record.trainLoss,
          trainAccuracy: record.trainAccuracy,
          validation: v ? { loss: v.loss, errors: validationErrors, errorPercent: (100 * validationErrors) / v.samples } : null,
          test: { errors: errors.errors, errorPercent: errors.errorPercent, teacherAgreement: errors.teacherAgreement },
          seconds,
          samplesPerSecond,
        };
        note(`epoch ${epoch.epoch}: test error ${errors.errors} of ${errors.samples} (${pct(errors.errorPercent)}%), agreement with the teacher ${pct(100 * errors.teacherAgreement)}%, ${seconds.toFixed(1)} s`);
        return epoch;
      },
    });
    trained = trainer.exportModel();
  } finally {
    await run.close();
  }

  const asTrained = await timed('testSeconds', () => studentTestErrors(trained));
  let final = trained;
  metrics.test = asTrained.errors;
  if (omittedClass !== null) {
    // Chosen on the held-out split of the training set (it has Ks); the test set only measures.
    const heldOut = await timed('biasCorrectionSeconds', () => logitsOf(trained, validation!, threads));
    const choiceMade = chooseBiasOffset(heldOut, omittedClass, offsetGrid(BIAS_GRID.max, BIAS_GRID.step));
    final = withClassBias(trained, omittedClass, choiceMade.offset);
    const corrected = await timed('testSeconds', () => studentTestErrors(final));
    const shifted = { classIndex: omittedClass, offset: choiceMade.offset };
    metrics.biasCorrection = {
      classIndex: omittedClass,
      offset: choiceMade.offset,
      grid: BIAS_GRID,
      errorsByOffset: choiceMade.errorsByOffset,
      validation: { before: classSummary(countErrors(heldOut), omittedClass), after: classSummary(countErrors(heldOut, shifted), omittedClass) },
      test: {
        before: { ...classSummary(countErrors(asTrained.scored), omittedClass), teacherAgreement: asTrained.errors.teacherAgreement },
        after: { ...classSummary(countErrors(corrected.scored), omittedClass), teacherAgreement: corrected.errors.teacherAgreement },
      },
    };
    metrics.test = corrected.errors;
    saveModel(trained, join(outDir, UNCORRECTED_STUDENT_FILE));
  }
  saveModel(final, join(outDir, STUDENT_FILE));

  metrics.status = trainer.step < epochs * stepsPerEpoch ? 'max-steps' : 'complete';
  finishRun(metrics, { metricsPath, started, batchSize, resumedFromStep });
  printRun(metrics, flags.json, argv, (m) => printSummary(m, JITTER_PIXELS));
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
    .option('--student-arch <spec>', 'student architecture to build: mlp:800,800[,dropout=0.5], lenet-300-100, lenet5, resnet:8,16[,blocks=2]')
    .addOption(new Option('--data <name>', `training data: ${DATA_SOURCES.join(', ')}`).makeOptionMandatory())
    .requiredOption('--out <dir>', 'output folder for student.onnx, metrics.json and the checkpoint (created if missing)')
    .option('--temperature <T>', 'classic KD: softmax temperature of the soft targets, > 0 (the paper uses 20 on MNIST); ignored with --term', '20')
    .option('--alpha <x>', 'classic KD: weight of the hard-label cross-entropy in [0, 1]; the soft term gets 1 - alpha (0 = soft targets only); ignored with --term', '0.1')
    .option('--epochs <n>', 'passes over the transfer set', '10')
    .option('--batch-size <n>', 'samples per step (the last partial batch of an epoch is dropped)', '128');
  for (const option of optimizationOptions()) command.addOption(option);
  command
    .option('--seed <n>', 'seed of the student\'s initial weights (--student-arch), the epoch shuffles, the dropout masks and the jitter', '0')
    .option('--jitter', `augment the transfer set: shift each image by up to ${JITTER_PIXELS} pixels each way (the teacher then runs on every batch)`)
    .option('--teacher-signal <mode>', `teacher logits: ${TEACHER_SIGNALS.join(', ')} (auto: computed once and cached, or per batch with --jitter)`, 'auto')
    .option('--validation <n>', 'hold out the last n training samples for validation and the bias correction, 0 for none (default 5000, or a tenth of --limit-train)')
    .option('--limit-train <n>', 'use the first n training samples only (quick runs); the validation split comes out of them')
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
  command
    .addHelpText('after', `
Distillation terms (--term KIND:OPTION=VALUE,...; every value name is an ONNX value name of the student or the teacher):
${termHelp()}
  A schedule is a number or FROM>TO@STEPS (linear over STEPS updates, then TO), or FROM>TO@STEPS~cosine.
  Each term's value is reported as a metric by its name; the loss is the weighted sum.

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
`)
    .action(async (flags: DistillFlags) => runDistill(flags, process.argv));
}
