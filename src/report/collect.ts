/**
 * Evaluating saved models into report entries: task metrics with intervals, cost, fidelity to a
 * teacher and robustness, all from the files as a user would load them. The CLI parses options and
 * calls these; nothing here prints.
 */
import { basename } from 'node:path';
import { readFileSync } from 'node:fs';
import type { Dataset } from '../data/dataset.js';
import { adversarialDataset, describeAttack, InputGradients, type Attack } from '../eval/attacks.js';
import { measureCost } from '../eval/cost/index.js';
import { classFairness } from '../eval/fairness.js';
import { agreementPerSample, darkKnowledgeTau, klPerSample } from '../eval/fidelity.js';
import { datasetLogits } from '../eval/logits.js';
import { brierPerSample, correctPerSample, expectedCalibrationError, nllPerSample, predictionsOf, type Predictions } from '../eval/metrics/index.js';
import { taskMetrics } from '../eval/metrics/summary.js';
import { decodeModel } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { Session } from '../runtime/session.js';
import { floatTensor } from '../runtime/tensors.js';
import { estimateMean, estimateOf, type BootstrapSettings } from './estimates.js';
import type { FidelityEntry, MetricsEntry, ModelEntry, RobustnessEntry } from './types.js';
import { intervalFidelity, pairedDifferences } from './versusTeacher.js';

export interface EvaluationSettings {
  bootstrap: BootstrapSettings;
  /** Samples per inference run when scoring the dataset. */
  batchSize: number;
  calibrationBins: number;
  latency: { batch: number; threads: number; runs: number; warmup: number };
  /** Shapes MACs are counted for; default the first input at [1, ...per-sample dims]. */
  inputShapes?: Record<string, number[]>;
  attack?: Attack;
}

export interface EvaluatedModel {
  entry: ModelEntry;
  /** Kept for fidelity against a teacher entry. */
  predictions: Predictions;
}

/** Task metrics of one model's predictions, each with its interval where resamples were asked for. */
export function metricsEntry(predictions: Predictions, settings: Pick<EvaluationSettings, 'bootstrap' | 'calibrationBins'>): MetricsEntry {
  const bins = settings.calibrationBins;
  const summary = taskMetrics(predictions, { bins, topK: [] });
  const { classes, counts } = summary.confusion;
  return {
    samples: summary.samples,
    accuracy: estimateMean(correctPerSample(predictions), settings.bootstrap),
    nll: estimateMean(nllPerSample(predictions), settings.bootstrap),
    brier: estimateMean(brierPerSample(predictions), settings.bootstrap),
    ece: estimateOf(predictions, (p) => expectedCalibrationError(p, { bins }).ece, settings.bootstrap),
    reliability: summary.calibration.bins,
    perClass: summary.perClass,
    confusion: Array.from({ length: classes }, (_, r) => Array.from(counts.subarray(r * classes, (r + 1) * classes))),
    fairness: classFairness(predictions, { bins }),
  };
}

/**
 * Fidelity of a student to its teacher, both scored on the same samples: agreement, KL and dark
 * knowledge; with resamples also the paired differences and the UQ fidelity (versusTeacher.ts).
 */
export function fidelityEntry(teacher: EvaluatedModel, student: EvaluatedModel, bootstrap: BootstrapSettings): FidelityEntry {
  const t = teacher.predictions;
  const s = student.predictions;
  const tau = t.classes >= 3 ? darkKnowledgeTau(t, s).meanTau : NaN;
  const difference = pairedDifferences(t, s, bootstrap);
  const uncertainty = intervalFidelity(teacher.entry.metrics, student.entry.metrics);
  return {
    teacher: teacher.entry.name,
    agreement: estimateMean(agreementPerSample(t, s), bootstrap),
    kl: estimateMean(klPerSample(t, s), bootstrap),
    kendallTau: Number.isFinite(tau) ? tau : null,
    ...(difference ? { difference } : {}),
    ...(uncertainty ? { uncertainty } : {}),
  };
}

async function robustnessEntry(model: ModelProto, name: string, session: Session, dataset: Dataset, attack: Attack, settings: EvaluationSettings): Promise<RobustnessEntry> {
  const gradients = new InputGradients(model, dataset.inputDims, name);
  let attacked: Dataset;
  try {
    attacked = await adversarialDataset(gradients, dataset, attack, { batchSize: settings.batchSize });
  } finally {
    await gradients.dispose();
  }
  const predictions = predictionsOf(await datasetLogits(session, attacked, settings.batchSize));
  return { attack, description: describeAttack(attack), samples: dataset.length, accuracy: estimateMean(correctPerSample(predictions), settings.bootstrap) };
}

/** Timed runs on real samples: the first `batch` of the dataset (repeated if it has fewer). */
function latencyFeeds(inputName: string, dataset: Dataset, batch: number) {
  const row = dataset.inputs.length / dataset.length;
  const inputs = new Float32Array(batch * row);
  for (let i = 0; i < batch; i++) inputs.set(dataset.inputs.subarray((i % dataset.length) * row, ((i % dataset.length) + 1) * row), i * row);
  return { [inputName]: floatTensor(inputs, [batch, ...dataset.inputDims]) };
}

/** One model file: scored on the dataset (laid out as the model expects), costed, optionally attacked. */
export async function evaluateModelFile(path: string, name: string, dataset: Dataset, settings: EvaluationSettings): Promise<EvaluatedModel> {
  const bytes = readFileSync(path);
  const model = decodeModel(bytes, path);
  const session = await Session.create(bytes, { name: path, threads: settings.latency.threads });
  try {
    const input = session.inputNames[0]!;
    const predictions = predictionsOf(await datasetLogits(session, dataset, settings.batchSize));
    const metrics = metricsEntry(predictions, settings);
    const robustness = settings.attack ? await robustnessEntry(model, name, session, dataset, settings.attack, settings) : undefined;
    const cost = await measureCost(bytes, {
      model,
      inputShapes: settings.inputShapes ?? { [input]: [1, ...dataset.inputDims] },
      latency: { ...settings.latency, name: path, feeds: latencyFeeds(input, dataset, settings.latency.batch) },
    });
    const entry: ModelEntry = { name, path, ...cost, metrics, ...(robustness ? { robustness } : {}) };
    return { entry, predictions };
  } finally {
    await session.dispose();
  }
}

/** Display names: given ones, else file names, made unique with a suffix where two collide. */
export function modelNames(paths: readonly string[], given: readonly string[] | undefined): string[] {
  const names = paths.map((p, i) => given?.[i] ?? basename(p).replace(/\.onnx$/i, ''));
  const seen = new Map<string, number>();
  return names.map((n) => {
    const count = seen.get(n) ?? 0;
    seen.set(n, count + 1);
    return count === 0 ? n : `${n} (${count + 1})`;
  });
}
