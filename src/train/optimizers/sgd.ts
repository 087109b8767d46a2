/**
 * Stochastic gradient descent with optional momentum (Polyak 1964; Sutskever et al. 2013 for the
 * Nesterov form) and L2 weight decay, following PyTorch's `torch.optim.SGD` (dampening 0):
 *   g = grad + weightDecay * p
 *   buf = momentum * buf + g                       (buf starts at 0, so buf_1 = g as in PyTorch)
 *   d = nesterov ? g + momentum * buf : buf
 *   p = p - lr * d
 */
import { RetortError } from '../../util/errors.js';
import type { Optimizer } from './optimizer.js';

export interface SgdOptions {
  kind: 'sgd';
  momentum?: number;
  nesterov?: boolean;
  /** L2 penalty added to the gradient (coupled weight decay). */
  weightDecay?: number;
}

export function sgd(options: SgdOptions): Optimizer {
  const { momentum = 0, nesterov = false, weightDecay = 0 } = options;
  if (!(momentum >= 0 && momentum < 1)) throw new RetortError('BAD_ARGUMENT', `SGD momentum must be in [0, 1), got ${momentum}`);
  if (nesterov && momentum === 0) throw new RetortError('BAD_ARGUMENT', 'Nesterov momentum needs momentum > 0');
  if (!(weightDecay >= 0)) throw new RetortError('BAD_ARGUMENT', `SGD weight decay must be >= 0, got ${weightDecay}`);
  return {
    stateNames: momentum > 0 ? ['momentum'] : [],
    begin(b, lr) {
      return (p, grad, state) => {
        const g = weightDecay > 0 ? b.add(grad, b.scale(p, weightDecay)) : grad;
        if (momentum === 0) return { parameter: b.sub(p, b.mul(lr, g)), state: [] };
        const buffer = b.add(b.scale(state[0]!, momentum), g);
        const direction = nesterov ? b.add(g, b.scale(buffer, momentum)) : buffer;
        return { parameter: b.sub(p, b.mul(lr, direction)), state: [buffer] };
      };
    },
  };
}
