/** Small MNIST classifiers with seeded random weights, saved for report and CLI tests. */
import path from 'node:path';
import { buildArchitecture } from '../../src/models/spec.js';
import { saveModel } from '../../src/onnx/model.js';

/** Three models of different size and layout (flat MLPs and an image-input LeNet-5). */
export function saveThreeModels(dir: string): string[] {
  const specs: [string, string][] = [['mlp-16', 'mlp:16'], ['mlp-64', 'mlp:64'], ['lenet5', 'lenet5']];
  return specs.map(([file, arch], seed) => {
    const out = path.join(dir, `${file}.onnx`);
    saveModel(buildArchitecture(arch, { seed: seed + 1 }), out);
    return out;
  });
}
