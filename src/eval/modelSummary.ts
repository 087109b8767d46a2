/**
 * The numbers every compression step reports about the model it wrote: parameters (and non-zero, so
 * pruning shows; int8 and packed weights counted through the cost model), bytes raw and gzipped,
 * MACs at batch 1 and, given a test set, the classifier's accuracy, error and mean cross-entropy,
 * all measured from the serialized bytes in a plain ORT session, as a user would load them.
 */
import type { Dataset } from '../data/dataset.js';
import { decodeModel } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { Session } from '../runtime/session.js';
import { evaluateClassifier } from '../train/evaluate.js';
import { countParameters, modelBytes, weightedLayers } from './cost/index.js';
import { estimateMacs } from './macs.js';

export interface ModelSummary {
  parameters: number;
  nonZeroParameters: number;
  fileBytes: number;
  gzipBytes: number;
  /** MACs for one sample (symbolic dims 1); null where shapes could not be inferred. */
  macs: number | null;
  /** On the test set; null without one. */
  test: { samples: number; accuracy: number; errors: number; error: number; loss: number } | null;
}

export interface SummaryOptions {
  test?: Dataset;
  threads?: number;
  /** Evaluation batch size (default 1000). */
  batchSize?: number;
  /** Count MACs (default true; an extra shape-inference run). */
  macs?: boolean;
}

/** MACs of one sample (symbolic dims 1): the count structured pruning aims its target at. */
export const macsAtBatchOne = async (model: ModelProto): Promise<number> => (await estimateMacs(model)).total;

async function macsOf(bytes: Uint8Array): Promise<number | null> {
  try {
    return await macsAtBatchOne(decodeModel(bytes));
  } catch {
    // Shapes not inferable at batch 1 (an unusual input): the count is missing, not wrong.
    return null;
  }
}

export interface LayerSparsity {
  layer: string;
  opType: string;
  weights: number;
  /** Weight elements stored as exact zeros (int8 codes at a zero point of 0 included); null where unreadable (4-bit). */
  zeros: number | null;
  sparsity: number | null;
  bits: number;
}

/**
 * Sparsity of every weighted layer's weight as the file stores it (float, int8 under
 * DequantizeLinear...), and over all of them: what pruning left, measured after any export.
 */
export function weightSparsity(model: ModelProto): { layers: LayerSparsity[]; weights: number; zeros: number; sparsity: number } {
  const layers = weightedLayers(model, null).map((l) => ({ layer: l.cost.name, opType: l.cost.opType, weights: l.cost.weights, zeros: l.weight.zeros, sparsity: l.cost.sparsity, bits: l.cost.bits }));
  const weights = layers.reduce((n, l) => n + l.weights, 0);
  // Unreadable storage counts as dense: the figure never flatters.
  const zeros = layers.reduce((n, l) => n + (l.zeros ?? 0), 0);
  return { layers, weights, zeros, sparsity: weights === 0 ? 0 : zeros / weights };
}

/** A classifier's accuracy, error and mean cross-entropy on `test`, from its serialized bytes in a fresh ORT session. */
export async function testEvaluation(bytes: Uint8Array, test: Dataset, options: Pick<SummaryOptions, 'threads' | 'batchSize'> & { name?: string } = {}): Promise<NonNullable<ModelSummary['test']>> {
  const session = await Session.create(bytes, { name: options.name ?? 'evaluated model', threads: options.threads ?? 0 });
  try {
    const e = await evaluateClassifier(session, test, options.batchSize ?? 1000);
    // Counted, so the error is exactly errors / samples (1 - accuracy carries float noise).
    const errors = e.samples - Math.round(e.accuracy * e.samples);
    return { samples: e.samples, accuracy: e.accuracy, errors, error: errors / e.samples, loss: e.loss };
  } finally {
    await session.dispose();
  }
}

export async function summarizeModel(bytes: Uint8Array, options: SummaryOptions = {}): Promise<ModelSummary> {
  const model = decodeModel(bytes);
  const size = modelBytes(bytes);
  return {
    ...countParameters(model, weightedLayers(model, null)),
    fileBytes: size.raw,
    gzipBytes: size.gzip,
    macs: options.macs === false ? null : await macsOf(bytes),
    test: options.test ? await testEvaluation(bytes, options.test, options) : null,
  };
}
