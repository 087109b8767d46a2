/**
 * The Hinton et al. (2015) demo as a pipeline of stages over one folder: teacher, hard-label
 * student, distilled student, then the compression stages of the distilled student (compression.ts:
 * pruned, pruned + int8), then a measurement of every model, written to DIR/results.json, and the
 * HTML report (DIR/report.html, test-set runs only). Finished stages (same stage hash) are reused,
 * so re-running a killed demo continues where it stopped.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { splitValidation, subset, type Dataset } from '../../data/dataset.js';
import { loadMnist } from '../../data/mnist.js';
import { parseArchitecture, formatArchitecture } from '../../models/spec.js';
import { loadModel } from '../../onnx/model.js';
import { runtimeVersion } from '../../runtime/session.js';
import type { ProgressMode } from '../../train/progress.js';
import { writeFileAtomic } from '../../util/atomicWrite.js';
import { COMPRESSION_STAGES, type QuantizedStageMetrics } from './compression.js';
import { measure, type ModelMeasurement } from './measure.js';
import { DEMO_STAGES, recipeHash, stageHash, type CompressionStageName, type DemoStage, type HintonRecipe, type TrainingStage } from './recipe.js';
import { REPORT_FILE, writeDemoReport } from './report.js';
import { distillStudent, trainHardStudent, trainTeacher, type StageContext } from './stages.js';
import { finishedStage, stageFiles, type StageMetrics, type TrainedStage } from './trainStage.js';

export const RESULTS_FILE = 'results.json';

const ROLES: Record<TrainingStage, string> = { teacher: 'teacher', hardStudent: 'student, hard labels', distilledStudent: 'student, distilled' };

/** The architecture a stage's model has: compression keeps the distilled student's. */
const architectureOf = (recipe: HintonRecipe, stage: DemoStage): string => recipe[stage === 'teacher' || stage === 'hardStudent' ? stage : 'distilledStudent'].arch;

/**
 * "teacher 784-1200-1200-10", "student, distilled, pruned 80% 784-800-800-10": the role and, for
 * MLPs, the layer widths as the paper writes them.
 */
export function modelLabel(recipe: HintonRecipe, stage: DemoStage): string {
  const architecture = parseArchitecture(architectureOf(recipe, stage));
  const shape = architecture.arch === 'mlp' ? `784-${[...architecture.hidden, 10].join('-')}` : formatArchitecture(architecture);
  const compression = COMPRESSION_STAGES.find((c) => c.stage === stage);
  const role = compression ? `${ROLES.distilledStudent}, ${compression.label(recipe)}` : ROLES[stage as TrainingStage];
  return `${role} ${shape}`;
}

export interface DemoOptions {
  recipe: HintonRecipe;
  seed: number;
  dir: string;
  threads: number;
  progress: ProgressMode;
  log: (line: string) => void;
}

export interface DemoResults {
  format: 'retort-demo-results';
  version: 1;
  date: string;
  recipe: HintonRecipe;
  recipeHash: string;
  seed: number;
  machine: { cpus: number; cpuModel: string; node: string; onnxruntime: string; platform: string };
  data: { train: number; validation: number; evaluationSet: 'test' | 'validation'; evaluationSamples: number };
  stages: Record<Exclude<DemoStage, 'prunedInt8'>, StageMetrics & Reuse> & { prunedInt8: QuantizedStageMetrics & Reuse };
  /** The compression stages in order, as the log states them. */
  compression: { stage: CompressionStageName; description: string }[];
  models: (ModelMeasurement & { stage: DemoStage; label: string })[];
  /** The HTML report (null when the run reports on held-out training images: the report scores the test set). */
  report: { file: string; seconds: number; bootstrap: number; teacher: string } | null;
  timings: { totalSeconds: number; measureSeconds: number };
}

interface Reuse {
  /** Finished by an earlier run with the same stage hash, and reused. */
  skipped: boolean;
  wallSeconds: number;
}

interface DemoData {
  train: Dataset;
  validation?: Dataset;
  evaluation: { set: 'test' | 'validation'; dataset: Dataset };
}

/** MNIST, flat [784]; with a validation size, the last images of the training set are held out and errors are counted on them. */
export function demoData(recipe: HintonRecipe): DemoData {
  const all = loadMnist({ split: 'train', layout: 'flat' });
  const train = recipe.limitTrain === null ? all : subset(all, recipe.limitTrain);
  if (recipe.validation === 0) return { train, evaluation: { set: 'test', dataset: loadMnist({ split: 'test', layout: 'flat' }) } };
  const split = splitValidation(train, { method: 'last', size: recipe.validation });
  return { train: split.train, validation: split.validation, evaluation: { set: 'validation', dataset: split.validation } };
}

export async function runHintonDemo(options: DemoOptions): Promise<DemoResults> {
  const started = performance.now();
  const { recipe, seed, dir, log } = options;
  const data = demoData(recipe);
  const ctx: StageContext = {
    recipe,
    seed,
    data: { train: data.train, ...(data.validation ? { validation: data.validation } : {}) },
    dir,
    threads: options.threads,
    progress: options.progress,
    log,
  };
  const stages = {} as Record<DemoStage, (StageMetrics | QuantizedStageMetrics) & Reuse>;
  /** Runs a stage unless an earlier run finished it with the same hash; `announce` states its settings. */
  const run = async (stage: DemoStage, announce: string, make: () => Promise<{ metrics: StageMetrics | QuantizedStageMetrics }>): Promise<void> => {
    const files = stageFiles(dir, stage);
    const hash = stageHash(recipe, stage, seed);
    const t0 = performance.now();
    const done = finishedStage<StageMetrics | QuantizedStageMetrics>(files, hash);
    if (done) {
      log(`== ${modelLabel(recipe, stage)}: finished earlier (stage ${hash}), reusing ${files.model}`);
      stages[stage] = { ...done, skipped: true, wallSeconds: 0 };
      return;
    }
    log(`== ${modelLabel(recipe, stage)}: ${announce} (stage ${hash})`);
    const { metrics } = await make();
    stages[stage] = { ...metrics, skipped: false, wallSeconds: (performance.now() - t0) / 1000 };
  };
  const training = (stage: TrainingStage): string => {
    const r = recipe[stage];
    return `${r.epochs} epochs of ${data.train.length} images, ${r.arch}, lr ${r.lr}${r.maxNorm ? `, max-norm ${r.maxNorm}` : ''}${r.jitter ? `, jitter ${r.jitter} px` : ''}`;
  };
  const teacherModel = () => loadModel(stageFiles(dir, 'teacher').model);
  await run('teacher', training('teacher'), () => trainTeacher(ctx));
  await run('hardStudent', training('hardStudent'), () => trainHardStudent(ctx));
  await run('distilledStudent', training('distilledStudent'), (): Promise<TrainedStage> => distillStudent(ctx, teacherModel()));
  // Each compression stage reads the model of the stage before it: distilled -> pruned -> pruned + int8.
  let previous: DemoStage = 'distilledStudent';
  for (const compression of COMPRESSION_STAGES) {
    const input = stageFiles(dir, previous).model;
    await run(compression.stage, compression.describe(recipe), () => compression.run({ model: loadModel(input), teacher: teacherModel(), ctx }));
    previous = compression.stage;
  }

  log(`== measuring ${DEMO_STAGES.length} models: ${data.evaluation.set} errors and ORT latency (${options.threads} threads)`);
  const measureStart = performance.now();
  const models: DemoResults['models'] = [];
  for (const stage of DEMO_STAGES) {
    const file = stageFiles(dir, stage).model;
    if (!existsSync(file)) continue;
    models.push({ stage, label: modelLabel(recipe, stage), ...(await measure(file, data.evaluation, recipe.latency, options.threads)) });
  }
  const measureSeconds = (performance.now() - measureStart) / 1000;

  let report: DemoResults['report'] = null;
  if (data.evaluation.set === 'test') {
    const html = join(dir, REPORT_FILE);
    log(`== report: ${models.length} models on the MNIST test set, fidelity to the teacher, ${recipe.report.bootstrap} bootstrap resamples -> ${html}`);
    const teacher = models.find((m) => m.stage === 'teacher')!.label;
    const written = await writeDemoReport({
      models: models.map((m) => ({ path: m.file, name: m.label })),
      teacher,
      seed,
      bootstrap: recipe.report.bootstrap,
      threads: options.threads,
      html,
      title: `retort demo: Hinton et al. (2015) on MNIST, recipe ${recipe.name}, seed ${seed}`,
    });
    report = { file: written.html, seconds: written.seconds, bootstrap: written.settings.bootstrap.resamples, teacher };
  } else {
    log('== report: skipped (the report scores the test set; a --tune run must not look at it)');
  }
  const results: DemoResults = {
    format: 'retort-demo-results',
    version: 1,
    date: new Date().toISOString(),
    recipe,
    recipeHash: recipeHash(recipe),
    seed,
    machine: { cpus: os.availableParallelism(), cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, onnxruntime: runtimeVersion(), platform: `${process.platform}-${process.arch}` },
    data: { train: data.train.length, validation: data.validation?.length ?? 0, evaluationSet: data.evaluation.set, evaluationSamples: data.evaluation.dataset.length },
    stages: stages as DemoResults['stages'],
    compression: COMPRESSION_STAGES.map((s) => ({ stage: s.stage, description: s.describe(recipe) })),
    models,
    report,
    timings: { totalSeconds: (performance.now() - started) / 1000, measureSeconds },
  };
  writeFileAtomic(join(dir, RESULTS_FILE), JSON.stringify(results, null, 2) + '\n');
  return results;
}
