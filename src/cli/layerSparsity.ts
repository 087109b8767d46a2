/**
 * `--layer-sparsity conv1=0.34,fc1.weight=0.92`: sparsities of named layers (weight or node names),
 * as Han et al. 2015/2016 prune each layer of a network to its own fraction. Shared by `retort
 * prune` and `retort compress-deep`; which names exist is checked where the model's layers are known.
 */
import { bad, parseNumber } from './trainingOptions.js';

export const LAYER_SPARSITY_HELP = 'per-layer sparsities NAME=FRACTION,... by weight or node name (e.g. conv1=0.34,conv2=0.88,fc1=0.92,fc2=0.81, Han et al. 2016 for LeNet-5)';

export function parseLayerSparsity(text: string): Record<string, number> {
  const perLayer: Record<string, number> = {};
  for (const item of text.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
    const eq = item.lastIndexOf('=');
    const name = eq > 0 ? item.slice(0, eq).trim() : '';
    if (name === '') throw bad(`--layer-sparsity "${item}": expected NAME=FRACTION, e.g. conv1=0.34,fc1=0.92`);
    if (Object.hasOwn(perLayer, name)) throw bad(`--layer-sparsity: layer "${name}" given twice`);
    // The range [0, 1) is checked with the plan, so that every problem is reported at once.
    perLayer[name] = parseNumber(`--layer-sparsity ${name}`, item.slice(eq + 1).trim(), 'nonnegative');
  }
  if (Object.keys(perLayer).length === 0) throw bad('--layer-sparsity: expected NAME=FRACTION pairs, e.g. conv1=0.34,fc1=0.92');
  return perLayer;
}
