/** Integer ranges of b-bit codes stored in 8-bit containers (QDQ int8/uint8), for QAT below 8 bits. */
import { RetortError } from '../../util/errors.js';
import { integerRange, type IntegerRange, type QuantType } from '../affine.js';

export const QAT_BITS = [2, 3, 4, 5, 6, 7, 8] as const;

/**
 * 8 bits: the PTQ ranges (symmetric int8 restricted to [-127, 127]). Fewer bits: the same rules on a
 * b-bit grid, e.g. 4-bit symmetric int8 [-7, 7] and 4-bit uint8 [0, 15], as LSQ's Qn/Qp (Esser et al. 2020).
 */
export function bitsRange(type: QuantType, symmetric: boolean, bits: number): IntegerRange {
  if (!(QAT_BITS as readonly number[]).includes(bits)) throw new RetortError('BAD_ARGUMENT', `--bits ${bits} is not supported. Should be one of: ${QAT_BITS.join(', ')}`);
  if (bits === 8) return integerRange(type, symmetric);
  const half = 2 ** (bits - 1);
  if (type === 'int8') return symmetric ? { qmin: -(half - 1), qmax: half - 1 } : { qmin: -half, qmax: half - 1 };
  return { qmin: 0, qmax: 2 ** bits - 1 };
}
