/**
 * Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019, decoupled weight decay), following
 * PyTorch's `torch.optim.Adam` / `AdamW` (amsgrad off):
 *   Adam:  g = grad + weightDecay * p            AdamW: p = p * (1 - lr * weightDecay), g = grad
 *   m = beta1 * m + (1 - beta1) * g
 *   v = beta2 * v + (1 - beta2) * g^2
 *   p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + epsilon)
 * with t the step input (1 for the first update).
 */
import { RetortError } from '../../util/errors.js';
import type { Optimizer } from './optimizer.js';

export interface AdamOptions {
  kind: 'adam' | 'adamw';
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Adam: L2 penalty in the gradient; AdamW: decoupled decay (PyTorch's AdamW default 0.01). */
  weightDecay?: number;
}

export function adam(options: AdamOptions): Optimizer {
  const decoupled = options.kind === 'adamw';
  const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weightDecay = decoupled ? 0.01 : 0 } = options;
  for (const [name, value] of [['beta1', beta1], ['beta2', beta2]] as const) {
    if (!(value >= 0 && value < 1)) throw new RetortError('BAD_ARGUMENT', `${options.kind} ${name} must be in [0, 1), got ${value}`);
  }
  if (!(epsilon > 0)) throw new RetortError('BAD_ARGUMENT', `${options.kind} epsilon must be > 0, got ${epsilon}`);
  if (!(weightDecay >= 0)) throw new RetortError('BAD_ARGUMENT', `${options.kind} weight decay must be >= 0, got ${weightDecay}`);
  return {
    stateNames: ['exp_avg', 'exp_avg_sq'],
    begin(b, lr, step) {
      const one = b.constFloat(1);
      const stepSize = b.div(lr, b.sub(one, b.op('Pow', [b.constFloat(beta1), step])));
      const sqrtCorrection2 = b.sqrt(b.sub(one, b.op('Pow', [b.constFloat(beta2), step])));
      const decayFactor = decoupled && weightDecay > 0 ? b.sub(one, b.scale(lr, weightDecay)) : undefined;
      return (p, grad, state) => {
        const g = !decoupled && weightDecay > 0 ? b.add(grad, b.scale(p, weightDecay)) : grad;
        const decayed = decayFactor ? b.mul(p, decayFactor) : p;
        const m = b.add(b.scale(state[0]!, beta1), b.scale(g, 1 - beta1));
        const v = b.add(b.scale(state[1]!, beta2), b.scale(b.mul(g, g), 1 - beta2));
        const denominator = b.add(b.div(b.sqrt(v), sqrtCorrection2), b.constFloat(epsilon));
        const parameter = b.sub(decayed, b.mul(stepSize, b.div(m, denominator)));
        return { parameter, state: [m, v] };
      };
    },
  };
}
