/**
 * Y = Scale * x̂ + B, x̂ = (X - mean) * invStd over the axes from `axis` on (Ba, Kiros & Hinton 2016;
 * ONNX LayerNormalization-17), N elements per normalized group:
 *   dX     = invStd * (g - mean(g) - x̂ * mean(g * x̂)),  g = dY * Scale
 *   dScale = sum(dY * x̂),  dB = sum(dY)  over the leading axes (the engine's broadcast reduction)
 * and, where the optional outputs are used downstream:
 *   from Mean:      dX += dMean / N
 *   from InvStdDev: dX += dInvStd * -invStd² * x̂ / N   (d invStd/dX = -invStd³ (X - mean) / N)
 */
import { attrFloat, attrInt } from '../../onnx/attributes.js';
import type { GradientRule } from '../rule.js';

export const LayerNormalizationGrad: GradientRule = {
  broadcastInputs: [1, 2],
  backward: ({ b, node, input, output, gradOutput, needsGradient, shape }) => {
    const X = input(0);
    const dims = shape(X);
    const given = attrInt(node, 'axis', -1);
    const first = given < 0 ? given + dims.length : given;
    const axes = Array.from({ length: dims.length - first }, (_, i) => first + i);
    const N = axes.reduce((n, a) => n * dims[a]!, 1);
    const epsilon = attrFloat(node, 'epsilon', 1e-5);

    const mean = output(1) || b.reduceMean(X, axes, true);
    const centred = b.sub(X, mean);
    const invStd = output(2) || b.div(b.constFloat(1), b.sqrt(b.add(b.reduceMean(b.mul(centred, centred), axes, true), b.constFloat(epsilon))));
    const xHat = b.mul(centred, invStd);
    const [dY, dMean, dInvStd] = [gradOutput(0), gradOutput(1), gradOutput(2)];

    const dXterms: string[] = [];
    if (needsGradient(0)) {
      if (dY) {
        const g = b.mul(dY, input(1));
        const meanG = b.reduceMean(g, axes, true);
        const meanGxHat = b.reduceMean(b.mul(g, xHat), axes, true);
        dXterms.push(b.mul(invStd, b.sub(b.sub(g, meanG), b.mul(xHat, meanGxHat))));
      }
      if (dMean) dXterms.push(b.expand(b.scale(dMean, 1 / N), dims));
      if (dInvStd) dXterms.push(b.mul(b.scale(b.mul(dInvStd, b.mul(invStd, invStd)), -1 / N), xHat));
    }
    return [
      dXterms.length > 0 ? b.sum(dXterms) : undefined,
      needsGradient(1) && dY ? b.mul(dY, xHat) : undefined,
      needsGradient(2) && dY ? dY : undefined,
    ];
  },
};
