/**
 * A small ResNet (He et al. 2016, "Deep Residual Learning for Image Recognition") for small images:
 * a 3x3 conv + BatchNorm + ReLU stem, then one stage per width of basic blocks (two 3x3 conv + BN,
 * identity shortcut); every stage after the first starts with a stride-2 block whose shortcut is a
 * 1x1 strided conv + BN projection (option B of the paper). GlobalAveragePool, Flatten and a Linear
 * give the logits. Names follow torchvision's ResNet (`layer2.0.downsample.0.weight`).
 */
import type { ModelProto } from '../onnx/proto.js';
import { RetortError } from '../util/errors.js';
import { checkPositiveInteger, INPUT_NAME, ModelBuilder, OUTPUT_NAME } from './builder.js';

export interface ResNetOptions {
  /** Channels per stage, e.g. [8, 16]: stage i > 0 halves the resolution and moves to widths[i]. */
  widths: readonly number[];
  /** Basic blocks per stage, default 1. */
  blocksPerStage?: number;
  /** [channels, height, width], default [1, 28, 28]. */
  inputDims?: readonly number[];
  numClasses?: number;
  seed: number;
}

export function buildResNet(options: ResNetOptions): ModelProto {
  const { widths, blocksPerStage = 1, inputDims = [1, 28, 28], numClasses = 10, seed } = options;
  if (widths.length === 0) throw new RetortError('BAD_ARGUMENT', 'ResNet needs at least one stage width, e.g. [8, 16]');
  widths.forEach((w) => checkPositiveInteger('ResNet stage width', w));
  checkPositiveInteger('ResNet blocks per stage', blocksPerStage);
  checkPositiveInteger('Number of classes', numClasses);
  if (inputDims.length !== 3) {
    throw new RetortError('BAD_ARGUMENT', `ResNet needs image inputs [channels, height, width], got [${inputDims.join(',')}]; load the data with the image layout`);
  }
  inputDims.forEach((d) => checkPositiveInteger('ResNet input dim', d));

  const builder = new ModelBuilder('resnet', inputDims, seed);
  const stemWidth = widths[0]!;
  let x = builder.conv('conv1', INPUT_NAME, { inChannels: inputDims[0]!, outChannels: stemWidth, kernel: 3, pad: 1, bias: false });
  x = builder.batchNorm('bn1', x, stemWidth);
  x = builder.relu('relu', x);
  let channels = stemWidth;
  for (let stage = 0; stage < widths.length; stage++) {
    for (let block = 0; block < blocksPerStage; block++) {
      const stride = stage > 0 && block === 0 ? 2 : 1;
      x = basicBlock(builder, `layer${stage + 1}.${block}`, x, channels, widths[stage]!, stride);
      channels = widths[stage]!;
    }
  }
  x = builder.globalAveragePool('avgpool', x);
  x = builder.flatten('flatten', x);
  x = builder.linear('fc', x, channels, numClasses, OUTPUT_NAME);
  const blocks = `${blocksPerStage} basic block${blocksPerStage > 1 ? 's' : ''} per stage`;
  return builder.finish(x, numClasses, `ResNet widths ${widths.join(',')}, ${blocks}`);
}

/** out = ReLU(BN(conv(ReLU(BN(conv(x))))) + shortcut(x)); the value it returns is named `name`. */
function basicBlock(builder: ModelBuilder, name: string, x: string, inChannels: number, outChannels: number, stride: number): string {
  let y = builder.conv(`${name}.conv1`, x, { inChannels, outChannels, kernel: 3, stride, pad: 1, bias: false });
  y = builder.batchNorm(`${name}.bn1`, y, outChannels);
  y = builder.relu(`${name}.relu1`, y);
  y = builder.conv(`${name}.conv2`, y, { inChannels: outChannels, outChannels, kernel: 3, pad: 1, bias: false });
  y = builder.batchNorm(`${name}.bn2`, y, outChannels);
  let shortcut = x;
  if (stride !== 1 || inChannels !== outChannels) {
    shortcut = builder.conv(`${name}.downsample.0`, x, { inChannels, outChannels, kernel: 1, stride, bias: false });
    shortcut = builder.batchNorm(`${name}.downsample.1`, shortcut, outChannels);
  }
  const sum = builder.add(`${name}.add`, y, shortcut);
  return builder.relu(name, sum);
}
