/**
 * Level 1: primitive losses as graph functions over value names. Each emits ONNX nodes with the
 * builder and returns a value name; none knows about teachers, students or weights. Reductions
 * follow PyTorch's conventions where a paper's reference code uses them (named at each function).
 */
import type { GraphBuilder } from '../../autodiff/builder.js';
import { RetortError } from '../../util/errors.js';

const axes = (rank: number): number[] => Array.from({ length: rank }, (_, i) => i);
const product = (dims: readonly number[]): number => dims.reduce((a, c) => a * c, 1);

/** Guards the square roots of norms: sqrt(x + EPS) has a finite gradient at x = 0. */
const NORM_EPSILON = 1e-12;

/** log softmax(logits / temperature) over the last axis; `temperature` is a scalar value name or 1. */
export function softenedLogProbabilities(b: GraphBuilder, logits: string, temperature: string | 1): string {
  return b.op('LogSoftmax', [temperature === 1 ? logits : b.div(logits, temperature)], { axis: -1 });
}

/**
 * KL(P || Q) = sum_c P (log P - log Q) over the last axis, averaged over the positions (all other
 * axes): PyTorch's kl_div with reduction 'batchmean' for [N, C]. Takes log-probabilities.
 */
export function klDivergence(b: GraphBuilder, logP: string, logQ: string, dims: readonly number[]): string {
  const pointwise = b.mul(b.exp(logP), b.sub(logP, logQ));
  return b.scale(b.reduceSum(pointwise, axes(dims.length), false), 1 / product(dims.slice(0, -1)));
}

/**
 * Jensen–Shannon divergence ½ KL(P || M) + ½ KL(Q || M), M = (P + Q) / 2, from log-probabilities.
 * log M is computed as a log-sum-exp (max + log(exp(logP - max) + exp(logQ - max)) - log 2), so a
 * class with vanishing probability under both gives no log 0.
 */
export function jensenShannon(b: GraphBuilder, logP: string, logQ: string, dims: readonly number[]): string {
  const top = b.op('Max', [logP, logQ]);
  const sum = b.add(b.exp(b.sub(logP, top)), b.exp(b.sub(logQ, top)));
  const logM = b.sub(b.add(top, b.op('Log', [sum])), b.constFloat(Math.LN2));
  return b.scale(b.add(klDivergence(b, logP, logM, dims), klDivergence(b, logQ, logM, dims)), 0.5);
}

/** Mean over all elements of (a - c)^2: PyTorch's mse_loss, reduction 'mean'. */
export function meanSquaredError(b: GraphBuilder, a: string, c: string, dims: readonly number[]): string {
  const error = b.sub(a, c);
  return b.reduceMean(b.mul(error, error), axes(dims.length), false);
}

/** Mean over all elements of |a - c|: PyTorch's l1_loss, reduction 'mean'. */
export function meanAbsoluteError(b: GraphBuilder, a: string, c: string, dims: readonly number[]): string {
  return b.reduceMean(b.op('Abs', [b.sub(a, c)]), axes(dims.length), false);
}

/**
 * Mean Huber (smooth L1) loss of a - c, PyTorch's smooth_l1_loss with beta = delta: 0.5 x^2 / delta
 * where |x| < delta, else |x| - 0.5 delta. RKD uses it with delta = 1 (Park et al. 2019, eq. 5).
 */
export function huber(b: GraphBuilder, a: string, c: string, dims: readonly number[], delta = 1): string {
  const x = b.sub(a, c);
  const absolute = b.op('Abs', [x]);
  const quadratic = b.scale(b.mul(x, x), 0.5 / delta);
  const linear = b.sub(absolute, b.constFloat(0.5 * delta));
  const inside = b.op('Less', [absolute, b.constFloat(delta)]);
  return b.reduceMean(b.where(inside, quadratic, linear), axes(dims.length), false);
}

/** x / sqrt(sum x^2 + eps) along `axis` (PyTorch's F.normalize, with the guard inside the root). */
export function l2Normalize(b: GraphBuilder, x: string, axis: number): string {
  const squared = b.reduceSum(b.mul(x, x), [axis], true);
  return b.div(x, b.sqrt(b.add(squared, b.constFloat(NORM_EPSILON))));
}

/**
 * Spatial attention map of a [N, C, H, W] activation (Zagoruyko & Komodakis 2017, eq. 2 with the
 * reference code's mean over channels): Q = mean_c |A_c|^p, flattened to [N, H*W] and normalised to
 * unit L2 norm per sample. Returns [N, H*W].
 */
export function attentionMap(b: GraphBuilder, activation: string, dims: readonly number[], p = 2): string {
  if (dims.length !== 4) throw new RetortError('BAD_ARGUMENT', `Attention maps need a [N, C, H, W] activation; "${activation}" has dims [${dims.join(', ')}]`);
  const [n, , h, w] = dims as [number, number, number, number];
  const powered = p === 2 ? b.mul(activation, activation) : b.op('Pow', [b.op('Abs', [activation]), b.constFloat(p)]);
  const map = b.reshape(b.reduceMean(powered, [1], false), [n, h * w]);
  return l2Normalize(b, map, 1);
}

/**
 * Euclidean distances between the rows of a [N, D] embedding, [N, N], diagonal exactly zero (Park
 * et al. 2019, RKD's pdist): ||e_i||^2 + ||e_j||^2 - 2 e_i·e_j, clamped at eps before the root.
 */
export function pairwiseDistances(b: GraphBuilder, embedding: string, n: number): string {
  const squaredNorms = b.reduceSum(b.mul(embedding, embedding), [1], true);
  const gram = b.matmul(embedding, b.transpose(embedding, [1, 0]));
  const squared = b.sub(b.add(squaredNorms, b.transpose(squaredNorms, [1, 0])), b.scale(gram, 2));
  const distances = b.sqrt(b.op('Max', [squared, b.constFloat(1e-12)]));
  const offDiagonal = Float32Array.from({ length: n * n }, (_, k) => (Math.floor(k / n) === k % n ? 0 : 1));
  return b.mul(distances, b.constFloat(offDiagonal, [n, n]));
}

/** Distances divided by their mean over the N(N-1) distinct pairs (RKD's distance normalisation μ). */
export function normalizedDistances(b: GraphBuilder, distances: string, n: number): string {
  const mean = b.scale(b.reduceSum(distances, [0, 1], false), 1 / (n * (n - 1)));
  return b.div(distances, mean);
}

/**
 * Cosines of the angles at every anchor of every triplet, [N, N, N]: cos∠(e_j - e_i, e_k - e_i)
 * (Park et al. 2019, eq. 6; zero where j = i or k = i, as F.normalize makes zero vectors).
 */
export function tripletAngles(b: GraphBuilder, embedding: string): string {
  const differences = b.sub(b.unsqueeze(embedding, [0]), b.unsqueeze(embedding, [1])); // [i, j] = e_j - e_i
  const unit = l2Normalize(b, differences, 2);
  return b.matmul(unit, b.transpose(unit, [0, 2, 1]));
}
