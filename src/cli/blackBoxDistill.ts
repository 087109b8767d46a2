/**
 * `retort distill --teacher-outputs FILE.jsonl | --teacher-command "CMD ARG..."`: black-box
 * distillation (issue #5, item 10), the branch of `retort distill` for a teacher known only by its
 * labels or top-k probabilities (src/distill/blackBox/). The objective is
 *   alpha · CE(student, labels) + (1 - alpha) · KL(targets || student)   at temperature 1,
 * where the targets are the top-k probabilities with the rest spread uniformly over the other classes,
 * or one-hot teacher labels. Writes OUT/student.onnx and OUT/metrics.json.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option } from 'commander';
import { modelInputDims } from '../data/forModel.js';
import { DATA_SOURCES, loadDataSource, textSourcePath } from '../data/sources.js';
import type { Dataset } from '../data/dataset.js';
import { blackBoxDistill } from '../distill/blackBox/blackBoxDistill.js';
import { softTargets, targetClasses } from '../distill/blackBox/softTargets.js';
import { splitCommandLine, teacherCommandOutputs } from '../distill/blackBox/teacherCommand.js';
import { readTeacherOutputs, type TeacherOutput } from '../distill/blackBox/teacherOutputs.js';
import { datasetLogits } from '../eval/logits.js';
import { parseArchitecture } from '../models/spec.js';
import { encodeModel, saveModel } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { Session } from '../runtime/session.js';
import { runSteps } from '../train/classifierRun.js';
import { writeMetrics } from '../train/epochLoop.js';
import { modelToTrain, sha256, type ModelSource } from '../train/modelSource.js';
import { evaluateClassifier } from '../train/evaluate.js';
import { writeFileAtomic } from '../util/atomicWrite.js';
import { formatFields } from './format.js';
import { bad, choice, parseNumber, parseOptional, parseTrainingFlags, scheduleFor, validationSize as parseValidationSize, type TrainingFlags } from './trainingOptions.js';
import { holdOutValidation } from './trainingRun.js';

export interface BlackBoxFlags extends TrainingFlags {
  teacher: string[];
  teacherOutputs?: string;
  teacherCommand?: string;
  teacherArg?: string[];
  teacherTimeout?: string;
  student?: string;
  studentArch?: string;
  data: string;
  out: string;
  alpha: string;
  limitTrain?: string;
  validation?: string;
  maxSteps?: string;
  jitter?: boolean;
  term?: string[];
  omitClass?: string;
  resume?: boolean;
}

/** Where a command teacher's answers are kept in OUT. */
export const TEACHER_OUTPUTS_FILE = 'teacher-outputs.jsonl';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** The black-box teacher options of `retort distill`. */
export function blackBoxOptions(): Option[] {
  return [
    new Option('--teacher-outputs <file>', 'black-box teacher: a JSONL file, one line per training sample in dataset order (after --limit-train and the validation split): {"label": C} or {"topk": [[C, P], ...]}; replaces --teacher (see "Black-box teachers" below)'),
    new Option('--teacher-command <cmd>', 'black-box teacher: a program run once with the training samples as JSONL on stdin, answering JSONL like --teacher-outputs on stdout; split into words on spaces, \'...\' and "..." quote, no shell'),
    new Option('--teacher-arg <arg>', 'one more argument for --teacher-command, taken verbatim; repeat for several').argParser(collect),
    new Option('--teacher-timeout <seconds>', '--teacher-command: stop the teacher and fail if it has not answered every sample within this many seconds (default: no limit)'),
  ];
}

export const BLACK_BOX_HELP = `
Black-box teachers (--teacher-outputs FILE.jsonl or --teacher-command "CMD ARG..."):
  The teacher is known only by its label or top-k probabilities per training sample, one JSON line each,
  in dataset order: {"label": 3} or {"topk": [[3, 0.91], [5, 0.06]]}. Top-k probabilities become a full
  distribution with the remaining mass spread uniformly over the other classes; labels become one-hot.
  The student is trained on alpha x CE(labels) + (1 - alpha) x KL(targets || student) at temperature 1
  (the teacher's probabilities cannot be re-softened; --temperature does not apply).
  --teacher-command runs once: stdin gets {"index": i, "dims": [...], "input": [floats]} per sample and
  is closed after the last; stdout must be the JSONL above; a non-zero exit fails the run. Its answers
  are kept in OUT/teacher-outputs.jsonl as soon as they are checked, so a later run (another student,
  or after a crash) can take them with --teacher-outputs instead of asking the teacher again. The command
  line is split on whitespace ('...' and "..." quote; no variables, globs or pipes) and started without
  a shell; --teacher-arg adds arguments verbatim.
    retort distill --teacher-outputs teacher.jsonl --student-arch mlp:64 --data mnist --limit-train 11000 --out out
    retort distill --teacher-command "python3 api_teacher.py --top-k 3" --student-arch mlp:64 --data mnist --out out
`;

export function isBlackBox(flags: Pick<BlackBoxFlags, 'teacherOutputs' | 'teacherCommand' | 'teacherArg' | 'teacherTimeout'>): boolean {
  return flags.teacherOutputs !== undefined || flags.teacherCommand !== undefined || (flags.teacherArg?.length ?? 0) > 0 || flags.teacherTimeout !== undefined;
}

async function predictedClasses(model: ModelProto, dataset: Dataset, threads: number): Promise<Int32Array> {
  const session = await Session.create(encodeModel(model), { name: 'student', threads });
  try {
    const { logits, classes } = await datasetLogits(session, dataset);
    return targetClasses(logits, classes);
  } finally {
    await session.dispose();
  }
}

async function evaluate(model: ModelProto, dataset: Dataset, threads: number) {
  const session = await Session.create(encodeModel(model), { name: 'student', threads });
  try {
    return await evaluateClassifier(session, dataset, 1000);
  } finally {
    await session.dispose();
  }
}

/**
 * The command teacher's answers, kept in OUT/teacher-outputs.jsonl once checked: a teacher may be a
 * paid or slow API, and a run that fails later (or another student) should not have to ask again.
 */
async function askTeacherCommand(argv: readonly string[], train: Dataset, outDir: string, timeoutSeconds: number | null, quiet: boolean): Promise<TeacherOutput[]> {
  const { outputs, text } = await teacherCommandOutputs(argv, train, timeoutSeconds === null ? {} : { timeoutSeconds });
  mkdirSync(outDir, { recursive: true });
  const kept = join(outDir, TEACHER_OUTPUTS_FILE);
  writeFileAtomic(kept, text.endsWith('\n') ? text : text + '\n');
  if (!quiet) process.stderr.write(`teacher outputs kept in ${kept} (reuse them with --teacher-outputs)\n`);
  return outputs;
}

/** `retort distill` with a black-box teacher. `temperatureGiven`: --temperature was on the command line. */
export async function runBlackBoxDistill(flags: BlackBoxFlags, temperatureGiven: boolean): Promise<void> {
  const started = performance.now();
  const given = [flags.teacher.length > 0 && '--teacher', flags.teacherOutputs !== undefined && '--teacher-outputs', flags.teacherCommand !== undefined && '--teacher-command'].filter(Boolean);
  if (given.length !== 1) throw bad(`Give exactly one teacher: --teacher T.onnx, --teacher-outputs FILE.jsonl or --teacher-command "CMD ARG..." (got ${given.join(', ') || 'none'})`);
  if (flags.teacherArg && flags.teacherCommand === undefined) throw bad('--teacher-arg adds arguments to --teacher-command; give --teacher-command too');
  if (flags.teacherTimeout !== undefined && flags.teacherCommand === undefined) throw bad('--teacher-timeout limits --teacher-command; give --teacher-command too');
  const timeoutSeconds = parseOptional('--teacher-timeout', flags.teacherTimeout, 'positive');
  if (textSourcePath(flags.data) !== null) throw bad('Black-box teachers work with class-labelled data only, not text:PATH');
  if (temperatureGiven) throw bad('--temperature does not apply to a black-box teacher: its probabilities are known only at temperature 1');
  for (const [flag, used] of [['--jitter', flags.jitter], ['--term', (flags.term?.length ?? 0) > 0], ['--omit-class', flags.omitClass !== undefined], ['--resume', flags.resume]] as const) {
    if (used) throw bad(`${flag} cannot go with a black-box teacher (--teacher-outputs / --teacher-command)`);
  }
  if ((flags.student === undefined) === (flags.studentArch === undefined)) throw bad('Give exactly one of --student FILE.onnx or --student-arch SPEC');
  const dataName = choice('--data', flags.data, DATA_SOURCES);
  const alpha = parseNumber('--alpha', flags.alpha, 'nonnegative');
  if (alpha > 1) throw bad(`--alpha "${flags.alpha}": expected a number in [0, 1] (the weight of the hard-label term; the KL to the teacher gets 1 - alpha)`);
  const settings = parseTrainingFlags(flags);
  const maxSteps = parseOptional('--max-steps', flags.maxSteps, 'positive-int');
  const limitTrain = parseOptional('--limit-train', flags.limitTrain, 'positive-int');
  const validationSize = parseValidationSize(flags.validation, limitTrain);
  const threads = parseNumber('--threads', flags.threads, 'nonnegative-int');
  const teacherArgv = flags.teacherCommand === undefined ? null : [...splitCommandLine(flags.teacherCommand), ...(flags.teacherArg ?? [])];

  const architecture = flags.studentArch === undefined ? undefined : parseArchitecture(flags.studentArch);
  const { model: student, source: studentSource } = modelToTrain(architecture ? { arch: architecture } : { path: flags.student! }, settings.seed);
  const sources = loadDataSource(dataName, { inputDims: modelInputDims(student) });
  const { train, validation } = holdOutValidation(sources.train, limitTrain, validationSize);
  if (train.length < settings.batchSize) throw bad(`--batch-size ${settings.batchSize}: larger than the ${train.length} training samples`);
  const teacherSource = flags.teacherOutputs !== undefined ? { outputs: resolve(flags.teacherOutputs), sha256: sha256(resolve(flags.teacherOutputs)) } : { command: teacherArgv! };
  const outDir = resolve(flags.out);
  const outputs: TeacherOutput[] = flags.teacherOutputs !== undefined
    ? readTeacherOutputs(resolve(flags.teacherOutputs), { samples: train.length, classes: train.numClasses })
    : await askTeacherCommand(teacherArgv!, train, outDir, timeoutSeconds, Boolean(flags.json));

  const { stepsPerEpoch } = runSteps(train.length, { batchSize: settings.batchSize, epochs: settings.epochs, maxSteps });
  const progress = flags.json ? 'silent' : 'auto';
  const result = await blackBoxDistill({
    student,
    data: { train, ...(validation ? { validation } : {}) },
    outputs,
    alpha,
    trainer: {
      batchSize: settings.batchSize, epochs: settings.epochs, seed: settings.seed, optimizer: settings.optimizer,
      schedule: scheduleFor(flags, settings, stepsPerEpoch), ...(maxSteps !== null ? { maxSteps } : {}), threads, progress,
    },
  });
  const studentPath = join(outDir, 'student.onnx');
  saveModel(result.model, studentPath);
  const teacherClasses = targetClasses(softTargets(outputs, train.numClasses), train.numClasses);
  const studentClasses = await predictedClasses(result.model, train, threads);
  const trainAgreement = studentClasses.reduce((n, c, i) => n + (c === teacherClasses[i] ? 1 : 0), 0) / train.length;
  const test = await evaluate(result.model, sources.test, threads);
  const metrics = {
    config: {
      teacher: { blackBox: teacherSource, kinds: { label: outputs.filter((o) => o.kind === 'label').length, topk: outputs.filter((o) => o.kind === 'topk').length } },
      student: studentSource satisfies ModelSource,
      data: dataName, limitTrain, validation: validationSize, alpha, temperature: 1,
      epochs: settings.epochs, batchSize: settings.batchSize, seed: settings.seed, optimizer: settings.optimizer, maxSteps, threads,
    },
    steps: result.steps,
    history: result.history,
    lastLoss: result.lastLoss,
    trainTeacherAgreement: trainAgreement,
    test: { accuracy: test.accuracy, loss: test.loss, samples: test.samples },
    seconds: (performance.now() - started) / 1000,
  };
  writeMetrics(join(outDir, 'metrics.json'), metrics);
  if (flags.json) {
    process.stdout.write(JSON.stringify(metrics, null, 2) + '\n');
    return;
  }
  process.stdout.write(formatFields([
    ['teacher', flags.teacherOutputs ?? teacherArgv!.join(' ')],
    ['steps', String(result.steps)],
    ['last loss', result.lastLoss.toFixed(4)],
    ['agreement with teacher (train) %', (100 * trainAgreement).toFixed(2)],
    ['test accuracy %', (100 * test.accuracy).toFixed(2)],
    ['student', studentPath],
  ]) + '\n');
}
