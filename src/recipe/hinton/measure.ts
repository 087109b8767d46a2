/**
 * What a model costs and how well it does, measured the way a user would run it: the saved ONNX
 * file loaded into a plain ORT CPU session. Parameters, non-zero parameters and the gzip size come
 * from the cost model of src/eval/cost (int8 weights count as parameters; pruned zeros shrink gzip). Errors are counted over the evaluation set (the test
 * set, or the held-out training images when tuning); latency is the p50 of single-image runs and
 * throughput the mean over batches, each after warm-up runs, at a stated thread count.
 */
import { readFileSync } from 'node:fs';
import type { Dataset } from '../../data/dataset.js';
import { countParameters, modelBytes, weightedLayers } from '../../eval/cost/index.js';
import { decodeModel } from '../../onnx/model.js';
import { Session } from '../../runtime/session.js';
import { floatTensor } from '../../runtime/tensors.js';
import { measureLatency } from '../../runtime/timing.js';
import { evaluateClassifier } from '../../train/evaluate.js';
import type { HintonRecipe } from './recipe.js';

export interface ModelMeasurement {
  file: string;
  parameters: number;
  nonZeroParameters: number;
  fileBytes: number;
  /** The file through gzip -9. */
  gzipBytes: number;
  evaluation: { set: 'test' | 'validation'; errors: number; samples: number; loss: number };
  latency: {
    threads: number;
    batch1: { runs: number; warmup: number; p50Ms: number; p95Ms: number; meanMs: number };
    throughput: { batchSize: number; runs: number; warmup: number; meanMs: number; samplesPerSecond: number };
  };
}

export interface EvaluationSet {
  set: 'test' | 'validation';
  dataset: Dataset;
}

export async function measure(file: string, evaluationSet: EvaluationSet, latency: HintonRecipe['latency'], threads: number): Promise<ModelMeasurement> {
  const bytes = readFileSync(file);
  const model = decodeModel(bytes);
  const { parameters, nonZeroParameters } = countParameters(model, weightedLayers(model, null));
  const size = modelBytes(bytes);
  const session = await Session.create(bytes, { name: file, threads });
  try {
    const { dataset } = evaluationSet;
    const evaluation = await evaluateClassifier(session, dataset, 1000);
    const errors = evaluation.samples - Math.round(evaluation.accuracy * evaluation.samples);
    const input = session.inputNames[0]!;
    const row = dataset.inputs.length / dataset.length;
    // Real images, not zeros: the first image, and the first batch of the throughput size.
    const feedsOf = (count: number) => {
      const n = Math.min(count, dataset.length);
      return { feeds: { [input]: floatTensor(dataset.inputs.slice(0, n * row), [n, ...dataset.inputDims]) }, n };
    };
    const single = await measureLatency(session, feedsOf(1).feeds, latency.batch1.runs, latency.batch1.warmup);
    const batch = feedsOf(latency.throughput.batchSize);
    const many = await measureLatency(session, batch.feeds, latency.throughput.runs, latency.throughput.warmup);
    return {
      file,
      parameters,
      nonZeroParameters,
      fileBytes: size.raw,
      gzipBytes: size.gzip,
      evaluation: { set: evaluationSet.set, errors, samples: evaluation.samples, loss: evaluation.loss },
      latency: {
        threads,
        batch1: { runs: single.runs, warmup: single.warmup, p50Ms: single.p50Ms, p95Ms: single.p95Ms, meanMs: single.meanMs },
        throughput: { batchSize: batch.n, runs: many.runs, warmup: many.warmup, meanMs: many.meanMs, samplesPerSecond: (1000 * batch.n) / many.meanMs },
      },
    };
  } finally {
    await session.dispose();
  }
}
