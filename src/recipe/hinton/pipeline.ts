/**
 * The Hinton et al. (2015) demo as a pipeline of stages over one folder: teacher, hard-label
 * student, distilled student, then the compression stages that exist, then a measurement of every
 * model, written to DIR/results.json. Finished stages (same stage hash) are reused, so re-running a
 * killed demo continues where it stopped.
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
import { COMPRESSION_STAGES } from './compression.js';
import { measure, type ModelMeasurement } from './measure.js';
import { recipeHash, stageHash, TRAINING_STAGES, type HintonRecipe, type TrainingStage } from './recipe.js';
import { distillStudent, trainHardStudent, trainTeacher, type StageContext } from './stages.js';
import { finishedStage, stageFiles, type StageMetrics, type TrainedStage } from './trainStage.js';

export const RESULTS_FILE = 'results.json';

const ROLES: Record<TrainingStage, string> = { teacher: 'teacher', hardStudent: 'student, hard labels', distilledStudent: 'student, distilled' };

/** "teacher 784-1200-1200-10": the role and, for MLPs, the layer widths as the paper writes them. */
export function modelLabel(recipe: HintonRecipe, stage: TrainingStage): string {
  const architecture = parseArchitecture(recipe[stage].arch);
  const shape = architecture.arch === 'mlp' ? `784-${[...architecture.hidden, 10].join('-')}` : formatArchitecture(architecture);
  return `${ROLES[stage]} ${shape}`;
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
  stages: Record<TrainingStage, StageMetrics & { skipped: boolean; wallSeconds: number }>;
  compression: { name: string; description: string; available: boolean; reason?: string }[];
  models: (ModelMeasurement & { stage: TrainingStage; label: string })[];
  timings: { totalSeconds: number; measureSeconds: number };
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
  const stages = {} as DemoResults['stages'];
  const run = async (stage: TrainingStage, train: () => Promise<TrainedStage>): Promise<void> => {
    const files = stageFiles(dir, stage);
    const hash = stageHash(recipe, stage, seed);
    const t0 = performance.now();
    const done = finishedStage(files, hash);
    if (done) {
      log(`== ${modelLabel(recipe, stage)}: finished earlier (stage ${hash}), reusing ${files.model}`);
      stages[stage] = { ...done, skipped: true, wallSeconds: 0 };
      return;
    }
    const r = recipe[stage];
    log(`== ${modelLabel(recipe, stage)}: ${r.epochs} epochs of ${data.train.length} images, ${r.arch}, lr ${r.lr}${r.maxNorm ? `, max-norm ${r.maxNorm}` : ''}${r.jitter ? `, jitter ${r.jitter} px` : ''} (stage ${hash})`);
    const { metrics } = await train();
    stages[stage] = { ...metrics, skipped: false, wallSeconds: (performance.now() - t0) / 1000 };
  };
  await run('teacher', () => trainTeacher(ctx));
  await run('hardStudent', () => trainHardStudent(ctx));
  await run('distilledStudent', () => distillStudent(ctx, loadModel(stageFiles(dir, 'teacher').model)));

  const unavailable = COMPRESSION_STAGES.filter((s) => !s.available);
  if (unavailable.length > 0) log(`== compression stages not available yet: ${unavailable.map((s) => `${s.name} (${s.available ? '' : s.reason})`).join('; ')}`);
  // Available compression stages would run here, each on the previous model, and join the measured models.

  log(`== measuring ${TRAINING_STAGES.length} models: ${data.evaluation.set} errors and ORT latency (${options.threads} threads)`);
  const measureStart = performance.now();
  const models: DemoResults['models'] = [];
  for (const stage of TRAINING_STAGES) {
    const file = stageFiles(dir, stage).model;
    if (!existsSync(file)) continue;
    models.push({ stage, label: modelLabel(recipe, stage), ...(await measure(file, data.evaluation, recipe.latency, options.threads)) });
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
    stages,
    compression: COMPRESSION_STAGES.map((s) => ({ name: s.name, description: s.description, available: s.available, ...(s.available ? {} : { reason: s.reason }) })),
    models,
    timings: { totalSeconds: (performance.now() - started) / 1000, measureSeconds: (performance.now() - measureStart) / 1000 },
  };
  writeFileAtomic(join(dir, RESULTS_FILE), JSON.stringify(results, null, 2) + '\n');
  return results;
}
