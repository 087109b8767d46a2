/**
 * `retort quantize` flags -> typed QuantizeOptions. Flags that belong to another method are errors
 * naming the method they apply to, so `--bits 4 --method dynamic` does not silently do nothing.
 */
import {
  CALIBRATORS, parseBits, parseBlockSize, parseCalibrator, parseQuantizeMethod, QUANT_TYPES, quantizeOptionsFrom, type Exclusions, type QuantizeChoices,
  type QuantizeMethod, type QuantizeOptions,
} from '../quantize/index.js';
import { bad, choice, parseNumber } from './trainingOptions.js';

export interface QuantizeFlags {
  out: string;
  method?: string;
  preset?: string;
  bits?: string;
  blockSize?: string;
  symmetric?: boolean;
  asymmetric?: boolean;
  perChannel?: boolean;
  perTensor?: boolean;
  activationType?: string;
  calibrator?: string;
  percentile?: string;
  calibrationData?: string;
  calibrationSize: string;
  excludeOpTypes?: string;
  excludeNodes?: string;
  gptq?: boolean;
  data?: string;
  limit?: string;
  latencyBatches: string;
  latencyRuns: string;
  warmup: string;
  threads: string;
  json?: boolean;
}

/** Which method each method-specific flag belongs to. */
const METHOD_FLAGS: readonly { flag: string; key: keyof QuantizeFlags; methods: readonly QuantizeMethod[] }[] = [
  { flag: '--bits', key: 'bits', methods: ['weight-only'] },
  { flag: '--block-size', key: 'blockSize', methods: ['weight-only'] },
  { flag: '--gptq', key: 'gptq', methods: ['weight-only'] },
  { flag: '--activation-type', key: 'activationType', methods: ['static'] },
  { flag: '--calibrator', key: 'calibrator', methods: ['static'] },
  { flag: '--percentile', key: 'percentile', methods: ['static'] },
  { flag: '--symmetric', key: 'symmetric', methods: ['static', 'dynamic', 'weight-only'] },
  { flag: '--asymmetric', key: 'asymmetric', methods: ['static', 'dynamic', 'weight-only'] },
  { flag: '--per-channel', key: 'perChannel', methods: ['static', 'dynamic'] },
  { flag: '--per-tensor', key: 'perTensor', methods: ['static', 'dynamic'] },
];

const list = (value: string | undefined): string[] => (value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');

export function parseInteger(flag: string, value: string): number {
  return parseNumber(flag, value, 'positive-int');
}

export function parseLatencyBatches(value: string): number[] {
  const batches = list(value).map((b) => parseInteger('--latency-batches', b));
  if (batches.length === 0) throw bad(`--latency-batches "${value}": expected comma-separated batch sizes, e.g. 1,64`);
  return batches;
}

function exclusions(flags: QuantizeFlags): Exclusions | undefined {
  const opTypes = list(flags.excludeOpTypes);
  const nodes = list(flags.excludeNodes);
  return opTypes.length || nodes.length ? { opTypes, nodes } : undefined;
}

function weightScheme(flags: QuantizeFlags): Pick<QuantizeChoices, 'symmetric' | 'granularity'> {
  if (flags.symmetric && flags.asymmetric) throw bad('Give --symmetric or --asymmetric, not both');
  if (flags.perChannel && flags.perTensor) throw bad('Give --per-channel or --per-tensor, not both');
  return { symmetric: !flags.asymmetric, granularity: flags.perTensor ? 'per-tensor' : 'per-channel' };
}

/** Parses a method and its flags; `needsCalibration` says whether --calibration-data must be read. */
export function quantizeOptionsFromFlags(flags: QuantizeFlags): { options: QuantizeOptions; needsCalibration: boolean } {
  if (flags.method === undefined) throw bad('--method is required (static, dynamic, weight-only, fp16), or give --preset transformersjs');
  const method = parseQuantizeMethod(flags.method);
  for (const { flag, key, methods } of METHOD_FLAGS) {
    if (flags[key] !== undefined && !methods.includes(method)) throw bad(`${flag} applies to --method ${methods.join(' or ')}, not ${method}`);
  }
  const choices: QuantizeChoices = { method, exclude: exclusions(flags), ...weightScheme(flags) };
  if (method === 'static') {
    if (flags.calibrationData === undefined) throw bad('--method static needs calibration data: give --calibration-data mnist (and --calibration-size N)');
    const calibratorName = choice('--calibrator', flags.calibrator ?? 'minmax', CALIBRATORS);
    if (flags.percentile !== undefined && calibratorName !== 'percentile') throw bad('--percentile applies to --calibrator percentile');
    const percentile = flags.percentile === undefined ? 99.99 : parseNumber('--percentile', flags.percentile, 'positive');
    choices.activationType = choice('--activation-type', flags.activationType ?? 'uint8', QUANT_TYPES);
    choices.calibrator = parseCalibrator(calibratorName, percentile);
  }
  if (method === 'weight-only') {
    choices.bits = parseBits(Number(flags.bits ?? '4'));
    choices.blockSize = parseBlockSize(Number(flags.blockSize ?? '32'));
    if (flags.gptq && flags.calibrationData === undefined) throw bad('--gptq needs calibration data: give --calibration-data mnist');
    choices.gptq = Boolean(flags.gptq);
  }
  return quantizeOptionsFrom(choices);
}
