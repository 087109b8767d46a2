/**
 * Multilayer perceptrons: Linear -> ReLU (-> Dropout) per hidden layer, then a Linear to the logits.
 * The MNIST nets of Hinton et al. 2015 are `hidden: [1200, 1200], dropout: 0.5` (teacher) and
 * `hidden: [800, 800]` (student).
 */
import type { ModelProto } from '../onnx/proto.js';
import { RetortError } from '../util/errors.js';
import { checkPositiveInteger, INPUT_NAME, ModelBuilder, OUTPUT_NAME } from './builder.js';

export interface MlpOptions {
  /** Widths of the hidden layers; [] is a linear (softmax-regression) classifier. */
  hidden: readonly number[];
  /** Dropout ratio after each hidden activation; 0 or absent for none. */
  dropout?: number;
  /** Dropout ratio on the input (Hinton et al. 2012 used 0.2 on MNIST pixels); 0 or absent for none. */
  inputDropout?: number;
  /** Per-sample input dims, default [784]; image dims like [1, 28, 28] are flattened first. */
  inputDims?: readonly number[];
  numClasses?: number;
  seed: number;
}

export function buildMlp(options: MlpOptions): ModelProto {
  const { hidden, dropout = 0, inputDropout = 0, inputDims = [784], numClasses = 10, seed } = options;
  for (const width of hidden) checkPositiveInteger('MLP hidden width', width);
  checkPositiveInteger('Number of classes', numClasses);
  if (inputDims.length === 0) throw new RetortError('BAD_ARGUMENT', 'MLP input dims must not be empty');
  inputDims.forEach((d) => checkPositiveInteger('MLP input dim', d));

  const builder = new ModelBuilder('mlp', inputDims, seed);
  let x = INPUT_NAME;
  if (inputDims.length > 1) x = builder.flatten('flatten', x);
  if (inputDropout > 0) x = builder.dropout('input_dropout', x, inputDropout);
  let features = inputDims.reduce((a, b) => a * b, 1);
  const widths = [features, ...hidden, numClasses];
  for (let layer = 1; layer <= hidden.length; layer++) {
    x = builder.linear(`fc${layer}`, x, features, hidden[layer - 1]!);
    x = builder.relu(`relu${layer}`, x);
    if (dropout > 0) x = builder.dropout(`dropout${layer}`, x, dropout);
    features = hidden[layer - 1]!;
  }
  x = builder.linear(`fc${hidden.length + 1}`, x, features, numClasses, OUTPUT_NAME);
  const dropoutNote = dropout > 0 ? `, dropout ${dropout}` : '';
  return builder.finish(x, numClasses, `MLP ${widths.join('-')}${dropoutNote}`);
}
