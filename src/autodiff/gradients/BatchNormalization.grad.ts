/**
 * BatchNormalization (Ioffe & Szegedy 2015), Y = scale * xhat + B per channel (axis 1).
 *
 * Inference form (statistics from the mean/var inputs, invstd = 1/sqrt(var + eps)):
 *   dX = dY * scale * invstd, dScale = sum(dY * (X - mean) * invstd), dB = sum(dY).
 * Training form (training_mode=1 from opset 14; extra outputs before), batch statistics over the
 * m = N * spatial elements of a channel, xhat = (X - batchMean) * invstd:
 *   dX = scale * invstd / m * (m*dY - sum(dY) - xhat * sum(dY * xhat)),
 * plus, where a loss reads them, the running statistics
 *   running_mean = momentum * mean + (1 - momentum) * batchMean,
 *   running_var  = momentum * var  + (1 - momentum) * batchVar   (biased, as ONNX and ORT compute it).
 * Before opset 14 the training form may also output saved_mean (the batch mean) and saved_var, which
 * ORT fills with the batch invstd, not the variance; gradients through those follow ORT.
 * The mean/var inputs only feed the running statistics and get no gradient (as in PyTorch, where
 * they are buffers).
 */
import { attrFloat, attrInt } from '../../onnx/attributes.js';
import type { GradientContext, GradientRule } from '../rule.js';

function isTraining(ctx: GradientContext): boolean {
  if (ctx.opset >= 14) return attrInt(ctx.node, 'training_mode', 0) === 1;
  return ctx.node.output.filter((o) => o).length > 1;
}

export const BatchNormalizationGrad: GradientRule = {
  nonDifferentiableInputs: [3, 4],
  backward: (ctx) => {
    const { b, node, input, gradOutput, needsGradient, shape } = ctx;
    const X = input(0);
    const xDims = shape(X);
    const channels = xDims[1]!;
    const perChannel = xDims.map((d, i) => (i === 1 ? d : 1));
    const axes = xDims.map((_, i) => i).filter((i) => i !== 1);
    const count = xDims.reduce((a, d) => a * d, 1) / channels;
    const epsilon = attrFloat(node, 'epsilon', 1e-5);
    const asChannels = (v: string) => b.reshape(v, perChannel);
    const scale = asChannels(input(1));
    const sum = (v: string) => b.reduceSum(v, axes, true);
    const dY = gradOutput(0);

    if (!isTraining(ctx)) {
      if (!dY) return [];
      const invstd = asChannels(b.div(b.constFloat(1), b.sqrt(b.add(input(4), b.constFloat(epsilon)))));
      const xhat = () => b.mul(b.sub(X, asChannels(input(3))), invstd);
      return [
        needsGradient(0) ? b.mul(dY, b.mul(scale, invstd)) : undefined,
        needsGradient(1) ? b.reshape(sum(b.mul(dY, xhat())), [channels]) : undefined,
        needsGradient(2) ? b.reshape(sum(dY), [channels]) : undefined,
      ];
    }

    const momentum = attrFloat(node, 'momentum', 0.9);
    const centered = b.sub(X, b.scale(sum(X), 1 / count));
    const batchVar = b.scale(sum(b.mul(centered, centered)), 1 / count);
    const invstd = b.div(b.constFloat(1), b.sqrt(b.add(batchVar, b.constFloat(epsilon))));
    const xhat = b.mul(centered, invstd);
    const dXParts: string[] = [];
    let dScale: string | undefined;
    let dB: string | undefined;
    if (dY) {
      const sumDy = sum(dY);
      const sumDyXhat = sum(b.mul(dY, xhat));
      const inner = b.sub(b.sub(b.scale(dY, count), sumDy), b.mul(xhat, sumDyXhat));
      dXParts.push(b.mul(b.scale(b.mul(scale, invstd), 1 / count), inner));
      dScale = b.reshape(sumDyXhat, [channels]);
      dB = b.reshape(sumDy, [channels]);
    }
    const dRunningMean = gradOutput(1);
    // d batchMean / dX = 1/m for every element of the channel.
    if (dRunningMean) dXParts.push(b.expand(b.scale(asChannels(dRunningMean), (1 - momentum) / count), xDims));
    const dRunningVar = gradOutput(2);
    // d batchVar / dX = 2 (X - batchMean) / m.
    if (dRunningVar) dXParts.push(b.mul(centered, b.scale(asChannels(dRunningVar), (2 * (1 - momentum)) / count)));
    const dSavedMean = gradOutput(3);
    if (dSavedMean) dXParts.push(b.expand(b.scale(asChannels(dSavedMean), 1 / count), xDims));
    const dSavedInvstd = gradOutput(4);
    // d invstd / dX = -invstd^3 (X - batchMean) / m.
    if (dSavedInvstd) dXParts.push(b.mul(centered, b.mul(asChannels(dSavedInvstd), b.scale(b.mul(invstd, b.mul(invstd, invstd)), -1 / count))));
    return [
      needsGradient(0) && dXParts.length > 0 ? b.sum(dXParts) : undefined,
      needsGradient(1) ? dScale : undefined,
      needsGradient(2) ? dB : undefined,
    ];
  },
};
