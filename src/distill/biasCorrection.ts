/**
 * Bias correction for a class the student never saw (Hinton, Vinyals & Dean 2015, §3): a student
 * distilled on a transfer set with no 3s still learns to recognise 3s from the teacher's soft
 * targets on other digits, but it rarely predicts them; raising the output bias of class 3 (by 3.5
 * in the paper) repairs most of those errors. The offset is chosen on held-out data that contains
 * the class, never on the test set.
 *
 * Everything here is pure: the search and the error counts work on logits already computed, and
 * the model edit returns a new model.
 */
import { decodeModel, encodeModel } from '../onnx/model.js';
import { Graph } from '../onnx/graph.js';
import type { ModelProto } from '../onnx/proto.js';
import { readFloat32, tensorDims, writeTensor } from '../onnx/tensor.js';
import { RetortError } from '../util/errors.js';

/** Logits of `count` samples, sample-major, with their true labels. */
export interface ScoredSamples {
  logits: Float32Array;
  labels: ArrayLike<number>;
  classes: number;
}

export interface ClassErrors {
  samples: number;
  errors: number;
  errorPercent: number;
  /** Errors among the samples of each true class, and how many samples each class has. */
  perClass: { errors: number; samples: number }[];
}

/** Offsets 0, step, 2*step, ... up to max (inclusive), e.g. 0 to 10 in steps of 0.25. */
export function offsetGrid(max = 10, step = 0.25): number[] {
  if (!(max >= 0 && step > 0)) throw new RetortError('BAD_ARGUMENT', `Bias offset grid: need max >= 0 and step > 0, got max ${max}, step ${step}`);
  return Array.from({ length: Math.floor(max / step + 1e-9) + 1 }, (_, i) => i * step);
}

function checkClass(classIndex: number, classes: number): void {
  if (!(Number.isInteger(classIndex) && classIndex >= 0 && classIndex < classes)) {
    throw new RetortError('BAD_ARGUMENT', `Class ${classIndex} is not one of the model's classes 0..${classes - 1}`);
  }
}

/** Top-1 errors, overall and per true class, with `offset` added to class `classIndex`'s logit. */
export function countErrors(scored: ScoredSamples, shift?: { classIndex: number; offset: number }): ClassErrors {
  const { logits, labels, classes } = scored;
  const count = labels.length;
  if (logits.length !== count * classes) {
    throw new RetortError('BAD_ARGUMENT', `${logits.length} logits are not ${count} samples of ${classes} classes`);
  }
  if (shift) checkClass(shift.classIndex, classes);
  const perClass = Array.from({ length: classes }, () => ({ errors: 0, samples: 0 }));
  let errors = 0;
  for (let i = 0; i < count; i++) {
    const base = i * classes;
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < classes; c++) {
      const score = logits[base + c]! + (shift && c === shift.classIndex ? shift.offset : 0);
      if (score > bestScore) {
        best = c;
        bestScore = score;
      }
    }
    const label = Number(labels[i]);
    perClass[label]!.samples++;
    if (best !== label) {
      perClass[label]!.errors++;
      errors++;
    }
  }
  return { samples: count, errors, errorPercent: (100 * errors) / count, perClass };
}

export interface OffsetChoice {
  classIndex: number;
  offset: number;
  /** Errors on the held-out samples at each offset of the grid, in grid order. */
  errorsByOffset: { offset: number; errors: number }[];
}

/**
 * The offset for class `classIndex` that makes the fewest errors on the held-out samples; ties go
 * to the smallest offset (the least change to the model).
 */
export function chooseBiasOffset(heldOut: ScoredSamples, classIndex: number, grid: readonly number[] = offsetGrid()): OffsetChoice {
  checkClass(classIndex, heldOut.classes);
  if (grid.length === 0) throw new RetortError('BAD_ARGUMENT', 'Bias offset grid is empty');
  const errorsByOffset = grid.map((offset) => ({ offset, errors: countErrors(heldOut, { classIndex, offset }).errors }));
  const best = errorsByOffset.reduce((a, b) => (b.errors < a.errors || (b.errors === a.errors && b.offset < a.offset) ? b : a));
  return { classIndex, offset: best.offset, errorsByOffset };
}

export interface OutputBias {
  /** The initializer holding the bias of the logits. */
  name: string;
  /** The node adding it (Gemm input C). */
  node: string;
  classes: number;
}

/**
 * The bias that feeds the logits: input C of the Gemm producing the model's first output (as
 * nn.Linear exports). Anything else is an error naming what was found, so a caller never shifts
 * the wrong tensor.
 */
export function findOutputBias(model: ModelProto): OutputBias {
  const graph = new Graph(model.graph!);
  const output = graph.outputs[0]?.name;
  if (!output) throw new RetortError('GRAPH_INVALID', 'The model has no outputs, so it has no logits bias');
  const node = graph.producerOf(output);
  const where = `the logits "${output}"`;
  if (!node) throw new RetortError('GRAPH_INVALID', `No node produces ${where} (an input or initializer), so there is no output bias to correct`);
  const label = `${node.opType} node "${node.name || node.output[0]}"`;
  if (node.opType !== 'Gemm') {
    throw new RetortError('GRAPH_INVALID', `${where} come from a ${label}; bias correction needs a Gemm (a final linear layer) producing them`);
  }
  const name = node.input[2];
  const tensor = name ? graph.initializer(name) : undefined;
  if (!name || !tensor) {
    throw new RetortError('GRAPH_INVALID', `The ${label} producing ${where} has ${name ? `a bias "${name}" that is not an initializer` : 'no bias (input C)'}; there is no output bias to correct`);
  }
  const dims = tensorDims(tensor);
  if (dims.length !== 1) throw new RetortError('GRAPH_INVALID', `Bias "${name}" of the ${label} has dims [${dims.join(', ')}], expected one value per class`);
  return { name, node: node.name || node.output[0]!, classes: dims[0]! };
}

/** A copy of the model with `offset` added to the logits bias of class `classIndex`. */
export function withClassBias(model: ModelProto, classIndex: number, offset: number): ModelProto {
  const copy = decodeModel(encodeModel(model));
  const bias = findOutputBias(copy);
  checkClass(classIndex, bias.classes);
  const tensor = new Graph(copy.graph!).initializer(bias.name)!;
  const values = readFloat32(tensor);
  values[classIndex] = values[classIndex]! + offset;
  writeTensor(tensor, values);
  return copy;
}
