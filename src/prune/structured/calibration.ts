/**
 * Taylor importance's calibration batches from a dataset: the model's data input and int64 class
 * labels, full batches of a fixed size in the dataset's order (the caller picks the samples, e.g. by
 * a seeded shuffle), so the summed gradients are deterministic.
 */
import { epochBatches } from '../../data/batches.js';
import type { Dataset } from '../../data/dataset.js';
import { Graph } from '../../onnx/graph.js';
import type { ModelProto } from '../../onnx/proto.js';
import { floatTensor, int64Tensor } from '../../runtime/tensors.js';
import type { Calibration } from './importance.js';

export function taylorCalibration(model: ModelProto, samples: Dataset, batchSize = 128): Calibration {
  const input = new Graph(model.graph!).dataInputs[0]!.name;
  return {
    batches: [...epochBatches(samples, { batchSize, shuffle: false, dropLast: true })].map((b) => ({
      [input]: floatTensor(b.inputs.slice(), b.dims), labels: int64Tensor(Array.from(b.labels, Number), [b.size]),
    })),
  };
}
