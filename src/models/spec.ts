/**
 * Architecture strings, as `retort distill --student-arch` takes them: a name, then after a colon
 * comma-separated widths and key=value options.
 *
 *   mlp:800,800   mlp:1200,1200,dropout=0.5   lenet-300-100   lenet5   resnet:8,16,blocks=2
 *   gpt:layers=4,dim=128,heads=4,context=128,vocab=65[,mlp=512][,dropout=0.1][,tied]
 *   bert:layers=2,dim=64,heads=4,context=64,vocab=1000,classes=2[,mlp=256][,dropout=0.1][,norm=pre][,mask]
 *
 * Transformer strings are parsed and built in transformer/spec.ts; bare words there are flags.
 */
import type { ModelProto } from '../onnx/proto.js';
import { RetortError } from '../util/errors.js';
import { buildLeNet300100, buildLeNet5 } from './lenet.js';
import { buildMlp } from './mlp.js';
import { buildResNet } from './resnet.js';
import { buildTransformer, formatTransformer, parseTransformer, TRANSFORMER_FORMS, type TransformerArchitecture } from './transformer/spec.js';

export type Architecture =
  | { arch: 'mlp'; hidden: number[]; dropout?: number; inputDropout?: number }
  | { arch: 'lenet-300-100' }
  | { arch: 'lenet5'; convRelu?: boolean }
  | { arch: 'resnet'; widths: number[]; blocksPerStage?: number }
  | TransformerArchitecture;

export type ArchitectureName = Architecture['arch'];

interface ArchitectureForm {
  example: string;
  /** Widths after the colon: required, or not accepted at all. */
  widths: 'required' | 'none';
  options: readonly string[];
  /** Bare words that switch something on (`tied`). */
  flags?: readonly string[];
  /** Image inputs [C, H, W] (conv nets), flat vectors (MLPs flatten whatever they get), or int64 token ids [seq]. */
  input: InputLayout;
}

export type InputLayout = 'image' | 'flat' | 'tokens';

const FORMS: Record<ArchitectureName, ArchitectureForm> = {
  mlp: { example: 'mlp:800,800,dropout=0.5', widths: 'required', options: ['dropout', 'input_dropout'], input: 'flat' },
  'lenet-300-100': { example: 'lenet-300-100', widths: 'none', options: [], input: 'flat' },
  lenet5: { example: 'lenet5', widths: 'none', options: ['conv_relu'], input: 'image' },
  resnet: { example: 'resnet:8,16,blocks=2', widths: 'required', options: ['blocks'], input: 'image' },
  gpt: { ...TRANSFORMER_FORMS.gpt, widths: 'none', input: 'tokens' },
  bert: { ...TRANSFORMER_FORMS.bert, widths: 'none', input: 'tokens' },
};

export const ARCHITECTURES = Object.keys(FORMS) as ArchitectureName[];

/** One example string per architecture, comma-separated: what help texts and errors list. */
export const ARCHITECTURE_EXAMPLES = ARCHITECTURES.map((a) => FORMS[a].example).join(', ');

function bad(text: string, why: string): RetortError {
  const valid = ARCHITECTURE_EXAMPLES;
  return new RetortError('BAD_ARGUMENT', `Architecture "${text}": ${why}. Should be one of: ${valid}`);
}

export function parseArchitecture(text: string): Architecture {
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim().toLowerCase();
  const form = (FORMS as Partial<Record<string, ArchitectureForm>>)[name];
  if (!form) throw bad(text, `unknown architecture "${name}"`);
  const parts = colon < 0 ? [] : text.slice(colon + 1).split(',').map((p) => p.trim()).filter((p) => p !== '');
  const widths: number[] = [];
  const options = new Map<string, string>();
  const flags = new Set<string>();
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq < 0 && form.flags?.includes(part)) {
      flags.add(part);
      continue;
    }
    if (eq < 0) {
      if (form.flags && !/^[0-9]+$/.test(part)) throw bad(text, `${name} takes flags ${form.flags.join(', ')}, not "${part}"`);
      if (!/^[1-9][0-9]*$/.test(part)) throw bad(text, `"${part}" is not a positive integer width`);
      if (options.size > 0) throw bad(text, `width ${part} comes after an option; write widths first`);
      widths.push(Number(part));
      continue;
    }
    const key = part.slice(0, eq).trim();
    if (options.has(key)) throw bad(text, `${key} is given twice`);
    if (!form.options.includes(key)) {
      throw bad(text, `${name} takes ${form.options.length ? `options ${form.options.join(', ')}` : 'no options'}, not "${key}"`);
    }
    options.set(key, part.slice(eq + 1).trim());
  }
  if (form.widths === 'required' && widths.length === 0) throw bad(text, `${name} needs widths, e.g. ${form.example}`);
  if (form.widths === 'none' && widths.length > 0) throw bad(text, `${name} takes no widths`);

  const ratio = (key: string): number | undefined => {
    const value = options.get(key);
    if (value === undefined) return undefined;
    const n = Number(value);
    if (value === '' || !(n >= 0 && n < 1)) throw bad(text, `${key}=${value} must be a number in [0, 1)`);
    return n;
  };
  switch (name as ArchitectureName) {
    case 'mlp':
      return { arch: 'mlp', hidden: widths, ...defined({ dropout: ratio('dropout'), inputDropout: ratio('input_dropout') }) };
    case 'lenet-300-100':
      return { arch: 'lenet-300-100' };
    case 'lenet5': {
      const value = options.get('conv_relu');
      if (value !== undefined && value !== 'true' && value !== 'false') throw bad(text, `conv_relu=${value} must be true or false`);
      return { arch: 'lenet5', ...defined({ convRelu: value === undefined ? undefined : value === 'true' }) };
    }
    case 'resnet': {
      const value = options.get('blocks');
      if (value !== undefined && !/^[1-9][0-9]*$/.test(value)) throw bad(text, `blocks=${value} must be a positive integer`);
      return { arch: 'resnet', widths, ...defined({ blocksPerStage: value === undefined ? undefined : Number(value) }) };
    }
    case 'gpt':
    case 'bert':
      return parseTransformer(name as 'gpt' | 'bert', options, flags, (why) => bad(text, why));
  }
}

/** The canonical string for an architecture (parseArchitecture's inverse). */
export function formatArchitecture(architecture: Architecture): string {
  switch (architecture.arch) {
    case 'mlp': {
      const { hidden, dropout, inputDropout } = architecture;
      const options = [dropout ? `dropout=${dropout}` : '', inputDropout ? `input_dropout=${inputDropout}` : ''].filter(Boolean);
      return `mlp:${[...hidden, ...options].join(',')}`;
    }
    case 'lenet-300-100':
      return 'lenet-300-100';
    case 'lenet5':
      return architecture.convRelu === false ? 'lenet5:conv_relu=false' : 'lenet5';
    case 'resnet': {
      const blocks = architecture.blocksPerStage && architecture.blocksPerStage !== 1 ? [`blocks=${architecture.blocksPerStage}`] : [];
      return `resnet:${[...architecture.widths, ...blocks].join(',')}`;
    }
    case 'gpt':
    case 'bert':
      return formatTransformer(architecture);
  }
}

/** Whether the architecture wants image inputs [C, H, W], flat vectors or token ids (the dataset layout to load). */
export function inputLayoutOf(architecture: Architecture): InputLayout {
  return FORMS[architecture.arch].input;
}

export interface BuildOptions {
  seed: number;
  /** Per-sample input dims; default [784] for MLPs, [1, 28, 28] for conv nets (MNIST). */
  inputDims?: readonly number[];
  numClasses?: number;
  /** Token vocabulary size for gpt and bert, when the string leaves out vocab= (the data's tokenizer decides it). */
  vocabSize?: number;
}

export function buildArchitecture(architecture: Architecture | string, options: BuildOptions): ModelProto {
  const spec = typeof architecture === 'string' ? parseArchitecture(architecture) : architecture;
  switch (spec.arch) {
    case 'mlp':
      return buildMlp({ ...options, hidden: spec.hidden, dropout: spec.dropout, inputDropout: spec.inputDropout });
    case 'lenet-300-100':
      return buildLeNet300100(options);
    case 'lenet5':
      return buildLeNet5({ ...options, convRelu: spec.convRelu });
    case 'resnet':
      return buildResNet({ ...options, widths: spec.widths, blocksPerStage: spec.blocksPerStage });
    case 'gpt':
    case 'bert':
      return buildTransformer(spec, options);
  }
}

/** Drop undefined fields, so parsed specs compare equal to hand-written ones. */
function defined<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}
