/**
 * A classifier's logits over a whole dataset, in dataset order, for the metrics that read them
 * (errors per class, fidelity to a teacher). Off the training hot path.
 */
import { epochBatches } from '../data/batches.js';
import type { Dataset } from '../data/dataset.js';
import type { Session } from '../runtime/session.js';
import { floatTensor, readFloats } from '../runtime/tensors.js';

export interface DatasetLogits {
  /** dataset.length x classes, sample-major. */
  logits: Float32Array;
  labels: Dataset['labels'];
  classes: number;
}

/** The session's first output for every sample, in dataset order, `batchSize` samples per run. */
export async function datasetLogits(session: Session, dataset: Dataset, batchSize = 1000): Promise<DatasetLogits> {
  const input = session.inputNames[0]!;
  const output = session.outputNames[0]!;
  let logits: Float32Array | undefined;
  let classes = 0;
  let offset = 0;
  for (const batch of epochBatches(dataset, { batchSize, shuffle: false, dropLast: false })) {
    const results = await session.run({ [input]: floatTensor(batch.inputs, batch.dims) }, [output]);
    const values = readFloats(results[output]!, 'logits');
    classes = values.length / batch.size;
    logits ??= new Float32Array(dataset.length * classes);
    logits.set(values, offset);
    offset += values.length;
  }
  return { logits: logits ?? new Float32Array(0), labels: dataset.labels, classes };
}
