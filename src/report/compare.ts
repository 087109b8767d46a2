/**
 * A comparison report over several model files on one dataset: each model scored on the same
 * samples (laid out as that model expects), costed, and — with a teacher — measured for fidelity
 * to it. `retort eval` is the one-model case.
 */
import { readFileSync } from 'node:fs';
import { loadDataSource } from '../data/sources.js';
import { sliceDataset, type Dataset } from '../data/dataset.js';
import { modelInputDims } from '../data/forModel.js';
import { loadModel } from '../onnx/model.js';
import { RetortError } from '../util/errors.js';
import { evaluateModelFile, fidelityEntry, type EvaluatedModel, type EvaluationSettings } from './collect.js';
import type { ComparisonReport } from './types.js';

export interface ModelFile {
  path: string;
  name: string;
}

export interface DataSelection {
  /** A source src/data/sources.ts knows, e.g. 'mnist'. */
  source: string;
  /** The first `limit` test samples; all when absent. */
  limit?: number;
}

/** Test samples from elsewhere (a recipe's data entry): the split in the layout a model declares. */
export interface TestSet {
  name: string;
  test(inputDims: readonly number[] | null): Dataset;
}

export interface CompareOptions {
  models: readonly ModelFile[];
  data: DataSelection | TestSet;
  settings: EvaluationSettings;
  /** Name of the entry (one of `models`) that fidelity is measured against. */
  teacher?: string;
  title?: string;
  /** Called as each model finishes, for progress lines. */
  onModel?: (name: string, index: number, total: number) => void;
}

/** The retort version of package.json (what reports and run manifests record). */
export function retortVersion(): string {
  // dist/src/report/compare.js -> package.json three levels up.
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** The test split in the layout a model declares, cut to the limit; loaded once per layout. */
function datasetLoader(data: DataSelection | TestSet): (modelPath: string) => Dataset {
  const cache = new Map<string, Dataset>();
  return (modelPath) => {
    const dims = modelInputDims(loadModel(modelPath));
    if ('test' in data) return data.test(dims);
    const key = dims ? dims.join('x') : '?';
    let dataset = cache.get(key);
    if (!dataset) {
      const test = loadDataSource(data.source, { inputDims: dims }).test;
      if (data.limit !== undefined && data.limit > test.length) {
        throw new RetortError('BAD_ARGUMENT', `--limit ${data.limit}: the ${data.source} test split has only ${test.length} samples`);
      }
      dataset = data.limit === undefined ? test : sliceDataset(test, 0, data.limit);
      cache.set(key, dataset);
    }
    return dataset;
  };
}

export async function compareModels(options: CompareOptions): Promise<ComparisonReport> {
  const { models, settings } = options;
  if (options.teacher !== undefined && !models.some((m) => m.name === options.teacher)) {
    throw new RetortError('BAD_ARGUMENT', `Teacher "${options.teacher}" is not among the models. Should be one of: ${models.map((m) => m.name).join(', ')}`);
  }
  const datasetFor = datasetLoader(options.data);
  const evaluated: EvaluatedModel[] = [];
  let samples = 0;
  for (const [i, m] of models.entries()) {
    const dataset = datasetFor(m.path);
    samples = dataset.length;
    evaluated.push(await evaluateModelFile(m.path, m.name, dataset, settings));
    options.onModel?.(m.name, i, models.length);
  }
  const teacher = evaluated.find((e) => e.entry.name === options.teacher);
  if (teacher) {
    for (const e of evaluated) {
      if (e !== teacher) e.entry.fidelity = fidelityEntry(teacher, e, settings.bootstrap);
    }
  }
  return {
    title: options.title ?? (models.length === 1 ? `retort eval: ${models[0]!.name}` : `retort compare: ${models.map((m) => m.name).join(', ')}`),
    created: new Date().toISOString(),
    retortVersion: retortVersion(),
    data: { name: 'test' in options.data ? options.data.name : options.data.source, split: 'test', samples },
    settings: {
      bootstrap: settings.bootstrap.resamples,
      confidence: settings.bootstrap.confidence,
      seed: settings.bootstrap.seed,
      batchSize: settings.batchSize,
      calibrationBins: settings.calibrationBins,
    },
    ...(teacher ? { teacher: teacher.entry.name } : {}),
    models: evaluated.map((e) => e.entry),
  };
}
