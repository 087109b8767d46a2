/**
 * The LeNets of the pruning literature (Han et al. 2015, "Learning both Weights and Connections"):
 * LeNet-300-100, an MLP 784-300-100-10 (LeCun et al. 1998), and LeNet-5 in Caffe's variant
 * (examples/mnist/lenet_train_test.prototxt): conv 20@5x5 -> maxpool 2 -> conv 50@5x5 -> maxpool 2
 * -> fc 500 -> ReLU -> fc 10, 431,080 parameters on 28x28 inputs.
 */
import type { ModelProto } from '../onnx/proto.js';
import { RetortError } from '../util/errors.js';
import { checkPositiveInteger, INPUT_NAME, ModelBuilder, OUTPUT_NAME, windowOutputSize } from './builder.js';
import { buildMlp } from './mlp.js';

export interface LeNet300100Options {
  inputDims?: readonly number[];
  numClasses?: number;
  seed: number;
}

export function buildLeNet300100(options: LeNet300100Options): ModelProto {
  return buildMlp({ ...options, hidden: [300, 100] });
}

export interface LeNet5Options {
  /** [channels, height, width], default [1, 28, 28]. */
  inputDims?: readonly number[];
  numClasses?: number;
  /**
   * ReLU after each convolution. Caffe's prototxt has none there (its only nonlinearity besides
   * max pooling is after fc1); we default to having them, as most PyTorch ports do, because it trains
   * faster and changes no parameter count. Pass false for the exact Caffe network.
   */
  convRelu?: boolean;
  seed: number;
}

export function buildLeNet5(options: LeNet5Options): ModelProto {
  const { inputDims = [1, 28, 28], numClasses = 10, convRelu = true, seed } = options;
  if (inputDims.length !== 3) {
    throw new RetortError('BAD_ARGUMENT', `LeNet-5 needs image inputs [channels, height, width], got [${inputDims.join(',')}]; load the data with the image layout`);
  }
  inputDims.forEach((d) => checkPositiveInteger('LeNet-5 input dim', d));
  checkPositiveInteger('Number of classes', numClasses);
  const [channels, height, width] = inputDims as [number, number, number];
  // Two 5x5 valid convolutions, each followed by a 2x2 pool.
  const side = (size: number): number => windowOutputSize(windowOutputSize(windowOutputSize(windowOutputSize(size, 5, 1, 0), 2, 2, 0), 5, 1, 0), 2, 2, 0);
  const [outHeight, outWidth] = [side(height), side(width)];
  if (outHeight < 1 || outWidth < 1) {
    throw new RetortError('BAD_ARGUMENT', `LeNet-5 needs images of at least 16x16, got ${height}x${width}`);
  }

  const builder = new ModelBuilder('lenet5', inputDims, seed);
  let x = builder.conv('conv1', INPUT_NAME, { inChannels: channels, outChannels: 20, kernel: 5 });
  if (convRelu) x = builder.relu('relu1', x);
  x = builder.maxPool('pool1', x, 2);
  x = builder.conv('conv2', x, { inChannels: 20, outChannels: 50, kernel: 5 });
  if (convRelu) x = builder.relu('relu2', x);
  x = builder.maxPool('pool2', x, 2);
  x = builder.flatten('flatten', x);
  x = builder.linear('fc1', x, 50 * outHeight * outWidth, 500);
  x = builder.relu('relu3', x);
  x = builder.linear('fc2', x, 500, numClasses, OUTPUT_NAME);
  return builder.finish(x, numClasses, `LeNet-5 (Caffe variant${convRelu ? ', ReLU after convolutions' : ''})`);
}
