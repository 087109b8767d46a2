/**
 * Elementwise Max and Min over any number of broadcast inputs: dX_i = dY where X_i is the
 * extremum, shared evenly between tied inputs (PyTorch's torch.maximum gives each of two ties 0.5).
 */
import type { GradientRule } from '../rule.js';

const extremumGrad: GradientRule = {
  broadcastInputs: 'all',
  backward: ({ b, input, inputCount, output, gradOutput, needsGradient }) => {
    const Y = output(0);
    const hits = Array.from({ length: inputCount }, (_, i) => b.toFloat(b.op('Equal', [input(i), Y])));
    const share = b.div(gradOutput(0)!, b.sum(hits));
    return hits.map((hit, i) => (needsGradient(i) ? b.mul(share, hit) : undefined));
  },
};

export const MaxGrad: GradientRule = extremumGrad;
export const MinGrad: GradientRule = extremumGrad;
