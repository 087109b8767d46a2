/**
 * Classification quality of an inference session over a dataset, in batches (the last one partial):
 * mean softmax cross-entropy and accuracy. Runs between epochs, off the training hot path.
 */
import { epochBatches } from '../data/batches.js';
import type { Dataset } from '../data/dataset.js';
import type { Session } from '../runtime/session.js';
import { floatTensor } from '../runtime/tensors.js';

export interface Evaluation {
  loss: number;
  accuracy: number;
  samples: number;
}

export async function evaluateClassifier(session: Session, dataset: Dataset, batchSize: number): Promise<Evaluation> {
  const input = session.inputNames[0]!;
  const output = session.outputNames[0]!;
  let lossSum = 0;
  let correct = 0;
  for (const batch of epochBatches(dataset, { batchSize, shuffle: false, dropLast: false })) {
    const results = await session.run({ [input]: floatTensor(batch.inputs, batch.dims) }, [output]);
    const logits = results[output]!.data as Float32Array;
    const classes = logits.length / batch.size;
    for (let i = 0; i < batch.size; i++) {
      const row = logits.subarray(i * classes, (i + 1) * classes);
      let best = 0;
      for (let c = 1; c < classes; c++) if (row[c]! > row[best]!) best = c;
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += Math.exp(row[c]! - row[best]!);
      const label = Number(batch.labels[i]);
      lossSum += Math.log(sum) - (row[label]! - row[best]!);
      if (best === label) correct++;
    }
  }
  return { loss: lossSum / dataset.length, accuracy: correct / dataset.length, samples: dataset.length };
}
