/**
 * Distillation methods on MNIST in a setting where plain KD is not saturated (`npm run bench:distill`):
 * 1,000 labelled training images, a 784-512-512-10 teacher trained on them, a 784-64-10 student. For
 * each method and seed: the student's test error; the table gives the mean over seeds with a 95%
 * bootstrap interval over the test set (percentile method, the seeds' errors averaged inside each
 * resample). Methods from the term registry (reverse KL, JS, FitNets, RKD, ...) run when registered.
 * Class-weighted KD is compared with plain KD on a 10:1 long-tailed split of the same images.
 * Attention transfer needs conv feature maps, so it runs on a CNN pair on the same images: a
 * ResNet 16,32 teacher and a ResNet 8,16 student (1 basic block per stage), AT on both stages'
 * outputs (same H x W, different channel counts), compared with KD for that pair.
 * Flags: --settings mlp,cnn (which pairs run) --limit-train N (1000) --epochs N (30) --seeds 1,2,3 --resamples B (1000) --out FILE
 * (bench-distill.json) --markdown FILE (BENCHMARKS.md section is printed; appended with --write).
 */
import { appendFileSync } from 'node:fs';
import { subset, type Dataset } from '../src/data/dataset.js';
import { loadDataSource } from '../src/data/sources.js';
import { blackBoxDistill } from '../src/distill/blackBox/blackBoxDistill.js';
import { outputsFromLogits } from '../src/distill/blackBox/simulate.js';
import { bornAgain } from '../src/distill/bornAgain.js';
import { datasetClassWeights } from '../src/distill/classWeights.js';
import { classWeightedKd } from '../src/distill/classWeightedKd.js';
import { distill } from '../src/distill/distill.js';
import { longTailedSubset } from '../src/distill/longTail.js';
import { trainMutual } from '../src/distill/mutual.js';
import { buildTeacherEnsemble } from '../src/distill/teacherEnsemble.js';
import { parseTermArgument } from '../src/distill/terms/registry.js';
import type { WeightedTerm } from '../src/distill/terms/types.js';
import { bootstrapInterval } from '../src/eval/bootstrap.js';
import { datasetLogits } from '../src/eval/logits.js';
import { buildArchitecture } from '../src/models/spec.js';
import { encodeModel } from '../src/onnx/model.js';
import type { ModelProto } from '../src/onnx/proto.js';
import { Session } from '../src/runtime/session.js';
import type { TrainerConfig } from '../src/train/trainer.js';
import { writeFileAtomic } from '../src/util/atomicWrite.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const limitTrain = Number(flag('limit-train', '1000'));
const epochs = Number(flag('epochs', '30'));
const seeds = flag('seeds', '1,2,3').split(',').map(Number);
const resamples = Number(flag('resamples', '1000'));
const out = flag('out', 'bench-distill.json');
const settings = flag('settings', 'mlp,cnn').split(',') as Setting[];
const T = 4;
const ALPHA = 0.1;

const sources = loadDataSource('mnist', { inputDims: [784] });
const train = subset(sources.train, limitTrain);
const test = sources.test;
const imageSources = loadDataSource('mnist', { inputDims: [1, 28, 28] });
const imageTrain = subset(imageSources.train, limitTrain);
const teacherArch = 'mlp:512,512';
const studentArch = 'mlp:64';
const cnnTeacherArch = 'resnet:16,32';
const cnnStudentArch = 'resnet:8,16';
/** Attention transfer's weight: the reference code's β = 1000 on the mean-normalized maps (Zagoruyko & Komodakis 2017). */
const AT_WEIGHT = 1000;
const trainerFor = (seed: number, data: Dataset): Omit<TrainerConfig, 'loss'> => ({
  batchSize: Math.min(100, data.length), epochs, seed, progress: 'silent', optimizer: { kind: 'adam' }, schedule: { kind: 'constant', lr: 1e-3 },
});

/** 1 where the model's top class is the label, per test sample (the same 10,000 images in either layout). */
async function correctness(model: ModelProto, test: Dataset): Promise<Uint8Array> {
  const session = await Session.create(encodeModel(model), { name: 'test model' });
  try {
    const { logits, classes } = await datasetLogits(session, test);
    return Uint8Array.from({ length: test.length }, (_, i) => {
      let best = 0;
      for (let c = 1; c < classes; c++) if (logits[i * classes + c]! > logits[i * classes + best]!) best = c;
      return best === test.labels[i] ? 1 : 0;
    });
  } finally {
    await session.dispose();
  }
}

/** 'mlp': the MLP pair on flat images; 'cnn': the ResNet pair on [1, 28, 28] images. */
type Setting = 'mlp' | 'cnn';
/** A teacher's logits over a dataset, as a black-box teacher's answers are simulated from them. */
async function logitsOf(model: ModelProto, data: Dataset): Promise<{ logits: Float32Array; classes: number }> {
  const session = await Session.create(encodeModel(model), { name: 'teacher' });
  try {
    return await datasetLogits(session, data);
  } finally {
    await session.dispose();
  }
}

type Method = { name: string; setting?: Setting; note?: string; run: (seed: number, teacher: ModelProto, teacher2: ModelProto) => Promise<ModelProto> };
const student = (seed: number) => buildArchitecture(studentArch, { seed });
const withTerms = (texts: string[]) => async (seed: number, teacher: ModelProto) =>
  (await distill({ teacher, student: student(seed), data: { train }, trainer: trainerFor(seed, train), terms: texts.map(parseTermArgument) as WeightedTerm[] })).model;
const longTail = longTailedSubset(train, { imbalanceRatio: 10, seed: 0 });
const cnnStudent = (seed: number) => buildArchitecture(cnnStudentArch, { seed });
const cnnWithTerms = (texts: string[]) => async (seed: number, teacher: ModelProto) =>
  (await distill({ teacher, student: cnnStudent(seed), data: { train: imageTrain }, trainer: trainerFor(seed, imageTrain), terms: texts.map(parseTermArgument) as WeightedTerm[] })).model;
const kdTerms = [`kd:temperature=${T},weight=${1 - ALPHA}`, `ce:weight=${ALPHA}`];

const methods: Method[] = [
  { name: 'student, labels only', run: async (seed, teacher) => (await distill({ teacher, student: student(seed), data: { train }, trainer: trainerFor(seed, train), kd: { temperature: T, alpha: 1 } })).model },
  { name: `classic KD (T ${T}, alpha ${ALPHA})`, run: async (seed, teacher) => (await distill({ teacher, student: student(seed), data: { train }, trainer: trainerFor(seed, train), kd: { temperature: T, alpha: ALPHA } })).model },
  // Part A's term methods, when the registry has them; a kind it lacks is reported as not run.
  { name: 'reverse KL', run: withTerms([`kd:divergence=reverse-kl,temperature=${T},weight=${1 - ALPHA}`, `ce:weight=${ALPHA}`]) },
  { name: 'Jensen-Shannon', run: withTerms([`kd:divergence=js,temperature=${T},weight=${1 - ALPHA}`, `ce:weight=${ALPHA}`]) },
  { name: 'FitNets (hint relu1 → relu2) + KD', run: withTerms(['fitnet:student=relu1,teacher=relu2', `kd:temperature=${T},weight=${1 - ALPHA}`, `ce:weight=${ALPHA}`]) },
  { name: 'RKD (distance, angle) + KD', run: withTerms(['rkd:student=relu1,teacher=relu2,distance=25,angle=50', `kd:temperature=${T},weight=${1 - ALPHA}`, `ce:weight=${ALPHA}`]) },
  { name: 'DML, 2 students (student 0)', run: async (seed) => (await trainMutual({ students: [student(seed), student(seed + 100)], data: { train }, trainer: trainerFor(seed, train), mutual: { temperature: 1 } })).students[0]! },
  {
    name: 'born-again, generation 2',
    note: 'generations of the student architecture, labels-only generation 0',
    run: async (seed) => (await bornAgain({ build: student, generations: 2, data: { train }, trainer: trainerFor(seed, train), kd: { temperature: 1, alpha: 0 } })).at(-1)!.model,
  },
  {
    name: '2-teacher ensemble, confidence-weighted KD',
    run: async (seed, teacher, teacher2) =>
      (await distill({ teacher: buildTeacherEnsemble([teacher, teacher2], { temperature: T, weighting: { kind: 'confidence', measure: 'negative-entropy', temperature: 1 } }), student: student(seed), data: { train }, trainer: trainerFor(seed, train), kd: { temperature: T, alpha: ALPHA } })).model,
  },
  {
    name: 'black-box: top-3 teacher probabilities only (T 1, alpha 0.1)',
    note: "the teacher's top-3 probabilities per training image, the rest spread uniformly; no logits",
    run: async (seed, teacher) => {
      const { logits, classes } = await logitsOf(teacher, train);
      return (await blackBoxDistill({ student: student(seed), data: { train }, outputs: outputsFromLogits(logits, classes, 3), alpha: ALPHA, trainer: trainerFor(seed, train) })).model;
    },
  },
  { name: 'long-tailed 10:1: classic KD', run: async (seed, teacher) => (await distill({ teacher, student: student(seed), data: { train: longTail }, trainer: trainerFor(seed, longTail), kd: { temperature: T, alpha: ALPHA } })).model },
  {
    name: 'long-tailed 10:1: class-weighted KD (effective, β 0.99)',
    run: async (seed, teacher) => {
      const classWeights = datasetClassWeights(longTail, { scheme: 'effective', beta: 0.99 });
      const terms = [parseTermArgument(`ce:weight=${ALPHA}`), { name: 'kd', weight: 1 - ALPHA, term: classWeightedKd({ temperature: T, classWeights }) }];
      return (await distill({ teacher, student: student(seed), data: { train: longTail }, trainer: trainerFor(seed, longTail), terms })).model;
    },
  },
  { name: 'CNN: student, labels only', setting: 'cnn', run: cnnWithTerms(['ce']) },
  { name: 'CNN: classic KD', setting: 'cnn', run: cnnWithTerms(kdTerms) },
  { name: `CNN: attention transfer (layer1.0, layer2.0; β ${AT_WEIGHT}) + KD`, setting: 'cnn', run: cnnWithTerms([`at:pairs=layer1.0:layer1.0;layer2.0:layer2.0,weight=${AT_WEIGHT}`, ...kdTerms]) },
];

const started = performance.now();
const results = new Map<string, { correct: Uint8Array[]; error?: string; seconds: number }>();
const teacherNames: Record<Setting, string> = { mlp: 'teacher 784-512-512-10', cnn: `CNN: teacher ${cnnTeacherArch}` };
for (const seed of seeds) {
  // Teachers trained on the same labelled images; the second (other seed) only for the ensemble.
  const trainTeacher = async (arch: string, s: number, data: Dataset) =>
    (await distill({ teacher: buildArchitecture(arch, { seed: s }), student: buildArchitecture(arch, { seed: s }), data: { train: data }, trainer: trainerFor(s, data), kd: { temperature: 1, alpha: 1 } })).model;
  const cnnTeacher = settings.includes('cnn') ? await trainTeacher(cnnTeacherArch, seed, imageTrain) : null;
  const teachers: Partial<Record<Setting, [ModelProto, ModelProto]>> = {
    mlp: settings.includes('mlp') ? [await trainTeacher(teacherArch, seed, train), await trainTeacher(teacherArch, seed + 500, train)] : undefined,
    // The ensemble row is MLP-only, so the CNN pair has one teacher.
    cnn: cnnTeacher ? [cnnTeacher, cnnTeacher] : undefined,
  };
  const testOf: Record<Setting, Dataset> = { mlp: test, cnn: imageSources.test };
  for (const setting of settings) {
    const row = results.get(teacherNames[setting]) ?? { correct: [], seconds: 0 };
    row.correct.push(await correctness(teachers[setting]![0], testOf[setting]));
    results.set(teacherNames[setting], row);
  }
  for (const method of methods) {
    const setting = method.setting ?? 'mlp';
    if (!settings.includes(setting)) continue;
    const row = results.get(method.name) ?? { correct: [], seconds: 0 };
    results.set(method.name, row);
    if (row.error) continue;
    const t0 = performance.now();
    try {
      row.correct.push(await correctness(await method.run(seed, ...teachers[setting]!), testOf[setting]));
    } catch (error) {
      row.error = (error as Error).message.split('\n')[0]!;
    }
    row.seconds += (performance.now() - t0) / 1000;
    process.stderr.write(`seed ${seed} ${method.name}: ${row.error ?? `${(100 * (1 - row.correct.at(-1)!.reduce((a, v) => a + v, 0) / test.length)).toFixed(2)}% error`}\n`);
  }
}

const table = [...results].map(([name, row]) => {
  if (row.error || row.correct.length === 0) return { name, error: row.error ?? 'no runs', seconds: row.seconds };
  const meanError = (indices: Uint32Array) => row.correct.reduce((a, c) => a + indices.reduce((e, i) => e + (1 - c[i]!), 0) / indices.length, 0) / row.correct.length;
  const interval = bootstrapInterval(test.length, meanError, { seed: 0, resamples });
  const perSeed = row.correct.map((c) => 100 * (1 - c.reduce((a, v) => a + v, 0) / test.length));
  return { name, errorPercent: 100 * interval.estimate, lower: 100 * interval.lower, upper: 100 * interval.upper, perSeed, seconds: row.seconds };
});
const kd = table.find((r) => r.name.startsWith('classic KD'));
const longTailKd = table.find((r) => r.name === 'long-tailed 10:1: classic KD');
const cnnKd = table.find((r) => r.name === 'CNN: classic KD');
/** Plain KD on the same data and pair: the long-tailed rows compare with long-tailed KD, the CNN rows with the CNN's KD. */
const baselineOf = (name: string) => (name.startsWith('long-tailed') ? longTailKd : name.startsWith('CNN') ? cnnKd : kd);
type Row = (typeof table)[number];
/** Unpaired: intervals that do not overlap. Conservative; 'not distinguishable' is not 'equal'. */
function comparison(r: Row, base: Row | undefined): string {
  if (!base || 'error' in base || r === base || /^(CNN: )?teacher |student, labels only/.test(r.name)) return '';
  return r.upper! < base.lower! ? 'better' : r.lower! > base.upper! ? 'worse' : 'not distinguishable';
}
const lines = [
  `### Distillation methods, MNIST, ${limitTrain} labelled images (\`npm run bench:distill\`)`,
  '',
  `Teacher ${teacherArch}, student ${studentArch} (CNN rows: teacher ${cnnTeacherArch}, student ${cnnStudentArch}, 1 basic block per stage), Adam 1e-3, batch 100, ${epochs} epochs, T ${T}, alpha ${ALPHA}; seeds ${seeds.join(', ')}; test error (mean over seeds) with a 95% bootstrap interval over the 10,000 test images (${resamples} resamples).`,
  '',
  '| method | test error % | 95% interval | per seed | vs classic KD of the same pair and data |',
  '|---|---|---|---|---|',
  ...table.map((r) =>
    'error' in r
      ? `| ${r.name} | not run | | | ${r.error} |`
      : `| ${r.name} | ${r.errorPercent!.toFixed(2)} | ${r.lower!.toFixed(2)}–${r.upper!.toFixed(2)} | ${r.perSeed!.map((e) => e.toFixed(2)).join(', ')} | ${comparison(r, baselineOf(r.name))} |`,
  ),
  '',
];
writeFileAtomic(out, JSON.stringify({ limitTrain, epochs, seeds, resamples, table, seconds: (performance.now() - started) / 1000 }, null, 2) + '\n');
process.stdout.write(lines.join('\n') + '\n');
if (process.argv.includes('--write')) appendFileSync('BENCHMARKS.md', '\n' + lines.join('\n'));
