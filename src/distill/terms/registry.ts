/**
 * Term kinds by key, each with its documented options and a parser from `key=value` strings (the
 * CLI's `--term KIND:key=value,...`; recipes give the same keys as JSON). Parsing reports every
 * problem of an argument at once, each naming the option and the valid choices.
 *
 * Syntax of one term:  KIND[:OPTION=VALUE[,OPTION=VALUE...]]
 *   every kind takes  name=NAME (default the kind)  and  weight=SCHEDULE (default 1)
 *   SCHEDULE          a number, or FROM>TO@STEPS (linear over STEPS updates, then TO), or
 *                     FROM>TO@STEPS~cosine (half-cosine)
 *   pairs=s1:t1;s2:t2 student:teacher value pairs separated by ';' (quote it in a shell)
 */
import { RetortError } from '../../util/errors.js';
import { Registry } from '../../util/registry.js';
import { attentionProbabilityTerm, attentionTransferTerm, PROBABILITY_LOSSES, type ValuePair } from './attention.js';
import { fitnetTerm, HINT_DISTANCES, REGRESSORS, type HintDistance } from './fitnet.js';
import { crossEntropyTerm, DIVERGENCES, kdTerm, type Divergence } from './response.js';
import { rkdTerm } from './rkd.js';
import type { ScalarSchedule } from './schedule.js';
import type { DistillTerm, WeightedTerm } from './types.js';

export interface TermOption {
  name: string;
  description: string;
  default?: string;
}

export interface TermKind {
  /** One line, naming the paper. */
  summary: string;
  options: TermOption[];
  /** Builds the term from its option strings (weight and name already taken out). */
  create(options: OptionReader): DistillTerm;
}

const COMMON: TermOption[] = [
  { name: 'name', description: 'name of the term in the sum and its metric', default: 'the kind' },
  { name: 'weight', description: 'weight of the term: a number or a schedule FROM>TO@STEPS[~cosine]', default: '1' },
];

/** Reads a term's option strings, collecting problems instead of stopping at the first. */
export class OptionReader {
  readonly problems: string[] = [];
  private readonly used = new Set<string>();
  constructor(readonly kind: string, private readonly values: ReadonlyMap<string, string>) {}

  string(name: string): string | undefined {
    this.used.add(name);
    return this.values.get(name);
  }

  required(name: string, what: string): string {
    const value = this.string(name);
    if (value === undefined || value === '') this.problems.push(`${name}=... is required (${what})`);
    return value ?? '';
  }

  number(name: string): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value)) this.problems.push(`${name} must be a number, got "${text}"`);
    return value;
  }

  schedule(name: string): ScalarSchedule | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    try {
      return parseSchedule(text);
    } catch (error) {
      this.problems.push(`${name}: ${(error as Error).message}`);
      return 1;
    }
  }

  choice<T extends string>(name: string, choices: readonly T[]): T | undefined {
    const text = this.string(name);
    if (text !== undefined && !choices.includes(text as T)) this.problems.push(`${name} "${text}" is not one of: ${choices.join(', ')}`);
    return text as T | undefined;
  }

  pairs(name: string): ValuePair[] {
    const text = this.required(name, 'student:teacher value pairs separated by ;');
    return text.split(';').filter((s) => s !== '').map((pair) => {
      const colon = pair.lastIndexOf(':');
      if (colon <= 0 || colon === pair.length - 1) this.problems.push(`${name}: "${pair}" is not STUDENT_VALUE:TEACHER_VALUE`);
      return { student: pair.slice(0, colon), teacher: pair.slice(colon + 1) };
    });
  }

  /** Options given that the kind does not read. */
  unknown(known: readonly TermOption[]): string[] {
    return [...this.values.keys()].filter((k) => !this.used.has(k)).map((k) => `unknown option "${k}"; ${this.kind} takes: ${[...COMMON, ...known].map((o) => o.name).join(', ')}`);
  }
}

/** A number, FROM>TO@STEPS (linear) or FROM>TO@STEPS~cosine. */
export function parseSchedule(text: string): ScalarSchedule {
  const match = /^\s*([-+\d.eE]+)\s*>\s*([-+\d.eE]+)\s*@\s*(\d+)\s*(?:~\s*(linear|cosine))?\s*$/.exec(text);
  if (match) {
    const [from, to, steps] = [Number(match[1]), Number(match[2]), Number(match[3])];
    if ([from, to].every(Number.isFinite) && steps > 0) return { kind: (match[4] as 'linear' | 'cosine' | undefined) ?? 'linear', from, to, steps };
  }
  const value = Number(text);
  if (text.trim() !== '' && Number.isFinite(value)) return value;
  throw new RetortError('BAD_ARGUMENT', `"${text}" is not a number or a schedule FROM>TO@STEPS[~cosine] (e.g. 4>1@2000)`);
}

export const TERM_KINDS = new Registry<TermKind>('distillation term')
  .register('kd', {
    summary: 'response-based KD on logits: forward KL (Hinton et al. 2015), reverse KL (MiniLLM, Gu et al. 2024), Jensen–Shannon, or MSE (Ba & Caruana 2014)',
    options: [
      { name: 'divergence', description: DIVERGENCES.join(' | '), default: 'forward-kl' },
      { name: 'temperature', description: 'softmax temperature T (the KL terms are scaled by T^2): a number or a schedule', default: '1' },
      { name: 'student', description: 'student logits value', default: "the student's first output" },
      { name: 'teacher', description: 'teacher logits value', default: "the teacher's first output" },
    ],
    create: (o) => kdTerm({ divergence: o.choice<Divergence>('divergence', DIVERGENCES), temperature: o.schedule('temperature'), student: o.string('student'), teacher: o.string('teacher') }),
  })
  .register('ce', {
    summary: 'cross-entropy on the class labels (the hard term of classic KD)',
    options: [{ name: 'student', description: 'student logits value', default: "the student's first output" }],
    create: (o) => crossEntropyTerm({ student: o.string('student') }),
  })
  .register('fitnet', {
    summary: 'FitNets hints (Romero et al. 2015): a guided student value, through a learned regressor, matches a teacher value',
    options: [
      { name: 'student', description: 'the guided layer: a student ONNX value name' },
      { name: 'teacher', description: 'the hint layer: a teacher ONNX value name' },
      { name: 'distance', description: HINT_DISTANCES.join(' | '), default: 'l2' },
      { name: 'regressor', description: `${REGRESSORS.join(' | ')} (learned: linear for [N, C], 1x1 conv for [N, C, H, W]; trained, dropped at export)`, default: 'learned' },
    ],
    create: (o) => fitnetTerm({
      student: o.required('student', 'the guided student value'),
      teacher: o.required('teacher', 'the hint teacher value'),
      distance: o.choice<HintDistance>('distance', HINT_DISTANCES),
      regressor: o.choice('regressor', REGRESSORS),
    }),
  })
  .register('at', {
    summary: 'attention transfer (Zagoruyko & Komodakis 2017): L2 between normalized spatial attention maps of paired [N, C, H, W] values',
    options: [
      { name: 'pairs', description: 'student:teacher value pairs, separated by ;' },
      { name: 'p', description: 'power of |A| in the map', default: '2' },
    ],
    create: (o) => attentionTransferTerm({ pairs: o.pairs('pairs'), p: o.number('p') }),
  })
  .register('attn', {
    summary: 'attention-probability matching between paired transformer heads/layers (softmax outputs; MiniLM-style KL, or MSE)',
    options: [
      { name: 'pairs', description: 'student:teacher attention-probability value pairs, separated by ;' },
      { name: 'loss', description: PROBABILITY_LOSSES.join(' | '), default: 'kl' },
    ],
    create: (o) => attentionProbabilityTerm({ pairs: o.pairs('pairs'), loss: o.choice('loss', PROBABILITY_LOSSES) }),
  })
  .register('rkd', {
    summary: 'relational KD (Park et al. 2019): Huber loss on normalized pairwise distances and triplet angles of the batch embeddings',
    options: [
      { name: 'student', description: 'student embedding value' },
      { name: 'teacher', description: 'teacher embedding value' },
      { name: 'distance', description: 'weight of the distance-wise loss', default: '25' },
      { name: 'angle', description: 'weight of the angle-wise loss', default: '50' },
    ],
    create: (o) => rkdTerm({ student: o.required('student', 'the student embedding'), teacher: o.required('teacher', 'the teacher embedding'), distanceWeight: o.number('distance'), angleWeight: o.number('angle') }),
  });

/** Parses `KIND[:k=v,...]` into a named, weighted term; all problems are reported at once. */
export function parseTermArgument(text: string): WeightedTerm {
  const colon = text.indexOf(':');
  const kind = (colon === -1 ? text : text.slice(0, colon)).trim();
  TERM_KINDS.get(kind); // an unknown kind throws at once, listing the kinds
  const values = new Map<string, string>();
  const problems: string[] = [];
  const body = colon === -1 ? '' : text.slice(colon + 1);
  for (const part of body.split(',').filter((s) => s.trim() !== '')) {
    const eq = part.indexOf('=');
    if (eq <= 0) {
      problems.push(`"${part}" is not OPTION=VALUE`);
      continue;
    }
    const key = part.slice(0, eq).trim();
    if (values.has(key)) problems.push(`option "${key}" is given twice`);
    values.set(key, part.slice(eq + 1).trim());
  }
  const built = termFromOptions(kind, values);
  problems.push(...built.problems);
  if (problems.length > 0 || !built.term) throw new RetortError('BAD_ARGUMENT', `--term ${text}: ${problems.join('; ')}`);
  return built.term;
}

/**
 * A named, weighted term of kind `kind` from its option strings (name and weight among them), as
 * `--term` and a recipe's `terms` entries give them; every problem is returned rather than thrown,
 * so a caller can report them all with its own context (a flag, a recipe path).
 */
export function termFromOptions(kind: string, values: ReadonlyMap<string, string>): { term?: WeightedTerm; problems: string[] } {
  let entry: TermKind;
  try {
    entry = TERM_KINDS.get(kind);
  } catch (error) {
    return { problems: [(error as Error).message] };
  }
  const problems: string[] = [];
  const reader = new OptionReader(kind, values);
  const name = reader.string('name') ?? kind;
  const weight = reader.schedule('weight') ?? 1;
  let term: DistillTerm | undefined;
  try {
    term = entry.create(reader);
  } catch (error) {
    if (reader.problems.length === 0) problems.push((error as Error).message);
  }
  problems.push(...reader.problems, ...reader.unknown(entry.options));
  return problems.length > 0 || !term ? { problems } : { term: { name, weight, term }, problems };
}

/** --help text: every kind with its options and defaults. */
export function termHelp(): string {
  return TERM_KINDS.keys().map((key) => {
    const kind = TERM_KINDS.get(key);
    const options = [...kind.options, ...COMMON].map((o) => `      ${o.name.padEnd(12)} ${o.description}${o.default ? ` (default ${o.default})` : ''}`);
    return [`  ${key}: ${kind.summary}`, ...options].join('\n');
  }).join('\n');
}
