/**
 * The `retort distill` variants beyond one teacher and Hinton's loss: a teacher ensemble, class-
 * weighted distillation on a long-tailed split, born-again generations, auxiliary-head
 * self-distillation and deep mutual learning. Each writes its model(s) and OUT/metrics.json with test
 * errors overall and per class (eval/metrics perClassPrecisionRecall, eval/fairness classFairness).
 */
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { subset, type Dataset } from '../data/dataset.js';
import { modelInputDims } from '../data/forModel.js';
import { DATA_SOURCES, loadDataSource } from '../data/sources.js';
import { trainWithAuxiliaryHeads } from '../distill/auxiliaryHeads.js';
import { bornAgain } from '../distill/bornAgain.js';
import { CLASS_WEIGHTING_SCHEMES, DEFAULT_EFFECTIVE_BETA, datasetClassWeights, type ClassWeighting } from '../distill/classWeights.js';
import { classWeightedKd } from '../distill/classWeightedKd.js';
import { distill } from '../distill/distill.js';
import { classCounts, longTailedSubset } from '../distill/longTail.js';
import { trainMutual } from '../distill/mutual.js';
import { buildTeacherEnsemble, CONFIDENCE_MEASURES, type TeacherWeighting } from '../distill/teacherEnsemble.js';
import { crossEntropyTerm } from '../distill/terms/response.js';
import { classFairness } from '../eval/fairness.js';
import { datasetLogits } from '../eval/logits.js';
import { accuracy, perClassPrecisionRecall } from '../eval/metrics/index.js';
import { predictionsOf } from '../eval/metrics/predictions.js';
import { buildArchitecture, parseArchitecture } from '../models/spec.js';
import { encodeModel, loadModel, saveModel } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { Session } from '../runtime/session.js';
import type { TrainerConfig } from '../train/trainer.js';
import { bad, choice, parseNumber, parseTrainingFlags, scheduleFor, type TrainingFlags } from './trainingOptions.js';
import { writeMetrics } from '../train/epochLoop.js';
import { batchCount } from '../data/batches.js';

export interface VariantFlags extends TrainingFlags {
  teacher: string[];
  teacherWeights?: string;
  bornAgain?: string;
  auxHead?: string[];
  mutual?: string;
  longTail?: string;
  classWeighting?: string;
  student?: string;
  studentArch?: string;
  data: string;
  out: string;
  temperature: string;
  alpha: string;
  limitTrain?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** The options of the variants, for `retort distill`. */
export function variantOptions(): Option[] {
  return [
    new Option('--teacher-weights <w>', `with several --teacher: comma-separated fixed weights (e.g. 0.5,0.5; normalised), or confidence[:${CONFIDENCE_MEASURES.join('|')}[:tau]] for per-sample weights softmax over teachers of their confidence / tau (default negative-entropy, tau 1)`),
    new Option('--born-again <n>', 'born-again networks (Furlanello et al. 2018): n generations of the student architecture, each distilled from the one before; generation 0 is --teacher if given, else the architecture trained on labels'),
    new Option('--aux-head <value>', 'self-distillation (Zhang et al. 2019, Be Your Own Teacher): attach a classifier head to this intermediate value of the student; repeat for several; no teacher needed; heads removed at export').argParser(collect),
    new Option('--mutual <n>', 'deep mutual learning (Zhang et al. 2018): n copies of --student-arch (seeds seed..seed+n-1) trained together in one graph, each with CE + T^2 KL to its peers; writes student0.onnx ...; no teacher needed'),
    new Option('--long-tail <ratio>', 'train on a long-tailed split of the training set: class c keeps n_max * ratio^(-c/(C-1)) samples (e.g. 100), seeded by --seed'),
    new Option('--class-weighting <scheme>', `weight the soft term per sample by its class: ${CLASS_WEIGHTING_SCHEMES.join(', ')} (inverse frequency, or effective number with beta ${DEFAULT_EFFECTIVE_BETA}; effective:BETA to choose)`),
  ];
}

export function isVariant(flags: Pick<VariantFlags, 'teacher' | 'bornAgain' | 'auxHead' | 'mutual' | 'longTail' | 'classWeighting'>): boolean {
  return flags.teacher.length !== 1 || [flags.bornAgain, flags.auxHead, flags.mutual, flags.longTail, flags.classWeighting].some((f) => f !== undefined);
}

function teacherWeighting(text: string | undefined, teachers: number): TeacherWeighting {
  if (text === undefined || text.startsWith('confidence')) {
    const [, measure = 'negative-entropy', tau = '1'] = (text ?? 'confidence').split(':');
    return { kind: 'confidence', measure: choice('--teacher-weights confidence:MEASURE', measure, CONFIDENCE_MEASURES), temperature: parseNumber('--teacher-weights tau', tau, 'positive') };
  }
  const weights = text.split(',').map((w) => parseNumber('--teacher-weights', w, 'nonnegative'));
  if (weights.length !== teachers) throw bad(`--teacher-weights "${text}": ${weights.length} weights for ${teachers} --teacher files`);
  return { kind: 'fixed', weights };
}

function classWeighting(text: string): ClassWeighting {
  const [scheme, beta] = text.split(':');
  const kind = choice('--class-weighting', scheme!, CLASS_WEIGHTING_SCHEMES);
  return kind === 'inverse' ? { scheme: 'inverse' } : { scheme: 'effective', beta: beta === undefined ? DEFAULT_EFFECTIVE_BETA : Number(beta) };
}

/** Test errors overall and per class of one model. */
export async function classResults(model: ModelProto, test: Dataset, threads: number) {
  const session = await Session.create(encodeModel(model), { name: 'evaluation model', threads });
  try {
    const predictions = predictionsOf(await datasetLogits(session, test));
    const fairness = classFairness(predictions);
    return {
      errorPercent: 100 * (1 - accuracy(predictions)),
      perClass: perClassPrecisionRecall(predictions).map((c) => ({ class: c.class, support: c.support, errorPercent: c.recall === null ? null : 100 * (1 - c.recall), precision: c.precision })),
      worstClass: fairness.worstClass,
      accuracyGap: fairness.accuracyGap,
    };
  } finally {
    await session.dispose();
  }
}

export async function runVariant(flags: VariantFlags): Promise<void> {
  const started = performance.now();
  const dataName = choice('--data', flags.data, DATA_SOURCES);
  const temperature = parseNumber('--temperature', flags.temperature, 'positive');
  const alpha = parseNumber('--alpha', flags.alpha, 'nonnegative');
  const settings = parseTrainingFlags(flags);
  const { epochs, batchSize, seed, lr } = settings;
  const threads = parseNumber('--threads', flags.threads, 'nonnegative-int');
  const modes = [flags.bornAgain, flags.auxHead, flags.mutual].filter((f) => f !== undefined).length;
  if (modes > 1) throw bad('Choose at most one of --born-again, --aux-head, --mutual');
  if (flags.studentArch === undefined && (flags.mutual !== undefined || flags.bornAgain !== undefined)) throw bad('--mutual and --born-again build fresh students: give --student-arch');
  if (flags.student === undefined && flags.studentArch === undefined) throw bad('Give --student FILE.onnx or --student-arch SPEC');
  const architecture = flags.studentArch === undefined ? undefined : parseArchitecture(flags.studentArch);
  const build = (s: number): ModelProto => (architecture ? buildArchitecture(architecture, { seed: s }) : loadModel(resolve(flags.student!)));
  const first = build(seed);
  const sources = loadDataSource(dataName, { inputDims: modelInputDims(first) });
  let train: Dataset = flags.limitTrain === undefined ? sources.train : subset(sources.train, parseNumber('--limit-train', flags.limitTrain, 'positive-int'));
  if (flags.longTail !== undefined) train = longTailedSubset(train, { imbalanceRatio: parseNumber('--long-tail', flags.longTail, 'positive'), seed });
  const stepsPerEpoch = batchCount(train.length, batchSize, true);
  const trainer: Omit<TrainerConfig, 'loss'> = {
    batchSize, epochs, seed, threads, optimizer: settings.optimizer,
    schedule: scheduleFor(flags, settings, stepsPerEpoch),
    progress: flags.json ? 'silent' : 'auto',
  };
  const data = { train };
  const teachers = flags.teacher.map((p) => loadModel(resolve(p)));
  const teacher = teachers.length > 1 ? buildTeacherEnsemble(teachers, { temperature, weighting: teacherWeighting(flags.teacherWeights, teachers.length) }) : teachers[0];
  const kd = { temperature, alpha };
  const outDir = resolve(flags.out);
  const models: { name: string; model: ModelProto }[] = [];
  let method: string;
  if (flags.mutual !== undefined) {
    method = 'deep-mutual-learning';
    const n = parseNumber('--mutual', flags.mutual, 'positive-int');
    const result = await trainMutual({ students: Array.from({ length: n }, (_, k) => build(seed + k)), data, trainer, mutual: { temperature } });
    result.students.forEach((model, k) => models.push({ name: `student${k}`, model }));
  } else if (flags.bornAgain !== undefined) {
    method = 'born-again';
    const generations = await bornAgain({ build, generations: parseNumber('--born-again', flags.bornAgain, 'positive-int'), data, trainer, kd, ...(teacher ? { initialTeacher: teacher } : {}) });
    generations.forEach((g) => models.push({ name: `generation${g.generation}`, model: g.model }));
  } else if (flags.auxHead !== undefined) {
    method = 'auxiliary-heads';
    const result = await trainWithAuxiliaryHeads({ student: first, data, trainer, heads: flags.auxHead, options: { alpha: 1 - alpha, temperature } });
    models.push({ name: 'student', model: result.model });
  } else {
    if (!teacher) throw bad('Give --teacher FILE.onnx (repeat it for an ensemble), or one of --mutual, --aux-head');
    if (flags.classWeighting !== undefined) {
      method = 'class-weighted-kd';
      const weights = datasetClassWeights(train, classWeighting(flags.classWeighting));
      const terms = [
        { name: 'ce', weight: alpha, term: crossEntropyTerm() },
        { name: 'kd', weight: 1 - alpha, term: classWeightedKd({ temperature, classWeights: weights }) },
      ];
      models.push({ name: 'student', model: (await distill({ teacher, student: first, data, trainer, terms })).model });
    } else {
      method = teachers.length > 1 ? 'multi-teacher-kd' : 'kd';
      models.push({ name: 'student', model: (await distill({ teacher, student: first, data, trainer, kd })).model });
    }
  }
  const results = [];
  for (const { name, model } of models) {
    saveModel(model, join(outDir, `${name}.onnx`));
    results.push({ name, test: await classResults(model, sources.test, threads) });
  }
  const metrics = {
    format: 'retort-distill-variant-metrics',
    version: 1,
    method,
    config: { ...flags, temperature, alpha, epochs, batchSize, seed, lr },
    trainSet: { samples: train.length, classCounts: classCounts(train.labels, train.numClasses) },
    models: results,
    seconds: (performance.now() - started) / 1000,
  };
  writeMetrics(join(outDir, 'metrics.json'), metrics);
  if (flags.json) process.stdout.write(JSON.stringify(metrics, null, 2) + '\n');
  else for (const r of results) process.stdout.write(`${r.name}: test error ${r.test.errorPercent.toFixed(2)}%, worst class ${r.test.worstClass.class} (${(100 * (1 - r.test.worstClass.accuracy)).toFixed(2)}% error)\n`);
}

export function registerVariantOptions(command: Command): void {
  for (const option of variantOptions()) command.addOption(option);
}
