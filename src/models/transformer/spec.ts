/**
 * Architecture strings of the transformer builders (models/spec.ts dispatches here):
 *
 *   gpt:layers=4,dim=128,heads=4,context=128,vocab=65[,mlp=512][,dropout=0.1][,tied]
 *   bert:layers=2,dim=64,heads=4,context=64,vocab=1000,classes=2[,mlp=256][,dropout=0.1][,norm=pre][,mask]
 *
 * Sizes are key=value, flags bare words. `vocab` (and `classes` for bert) may be left out when the
 * caller builds with the data's vocabulary (BuildOptions.vocabSize / numClasses).
 */
import type { ModelProto } from '../../onnx/proto.js';
import { RetortError } from '../../util/errors.js';
import { buildBert } from '../bert.js';
import { buildGpt } from '../gpt.js';
import type { NormPlacement } from './block.js';

interface TransformerArchitectureBase {
  layers: number;
  dim: number;
  heads: number;
  context: number;
  vocab?: number;
  mlp?: number;
  dropout?: number;
}

export interface GptArchitecture extends TransformerArchitectureBase {
  arch: 'gpt';
  tied?: boolean;
}

export interface BertArchitecture extends TransformerArchitectureBase {
  arch: 'bert';
  classes?: number;
  norm?: NormPlacement;
  attentionMask?: boolean;
}

export type TransformerArchitecture = GptArchitecture | BertArchitecture;

const SIZES = ['layers', 'dim', 'heads', 'context'] as const;

export const TRANSFORMER_FORMS = {
  gpt: { example: 'gpt:layers=4,dim=128,heads=4,context=128,vocab=65', options: [...SIZES, 'vocab', 'mlp', 'dropout'], flags: ['tied'] },
  bert: { example: 'bert:layers=2,dim=64,heads=4,context=64,vocab=1000,classes=2', options: [...SIZES, 'vocab', 'classes', 'mlp', 'dropout', 'norm'], flags: ['mask'] },
} as const;

/** The parsed form of `gpt:…` or `bert:…` from its options and flags; `fail` makes the error. */
export function parseTransformer(
  name: 'gpt' | 'bert',
  options: ReadonlyMap<string, string>,
  flags: ReadonlySet<string>,
  fail: (why: string) => RetortError,
): TransformerArchitecture {
  const integer = (key: string): number | undefined => {
    const value = options.get(key);
    if (value === undefined) return undefined;
    if (!/^[1-9][0-9]*$/.test(value)) throw fail(`${key}=${value} must be a positive integer`);
    return Number(value);
  };
  const missing = SIZES.filter((key) => !options.has(key));
  if (missing.length > 0) throw fail(`${name} needs ${missing.map((k) => `${k}=N`).join(', ')}, e.g. ${TRANSFORMER_FORMS[name].example}`);
  const dropoutText = options.get('dropout');
  const dropout = dropoutText === undefined ? undefined : Number(dropoutText);
  if (dropout !== undefined && (dropoutText === '' || !(dropout >= 0 && dropout < 1))) throw fail(`dropout=${dropoutText} must be a number in [0, 1)`);
  const base = {
    layers: integer('layers')!,
    dim: integer('dim')!,
    heads: integer('heads')!,
    context: integer('context')!,
    ...defined({ vocab: integer('vocab'), mlp: integer('mlp'), dropout: dropout || undefined }),
  };
  if (base.dim % base.heads !== 0) throw fail(`dim=${base.dim} is not divisible by heads=${base.heads}`);
  if (name === 'gpt') return { arch: 'gpt', ...base, ...defined({ tied: flags.has('tied') || undefined }) };
  const norm = options.get('norm');
  if (norm !== undefined && norm !== 'pre' && norm !== 'post') throw fail(`norm=${norm} must be pre or post`);
  // post is the default, so canonical strings leave it out.
  const pre: NormPlacement | undefined = norm === 'pre' ? 'pre' : undefined;
  return { arch: 'bert', ...base, ...defined({ classes: integer('classes'), norm: pre, attentionMask: flags.has('mask') || undefined }) };
}

/** The canonical string (parseTransformer's inverse). */
export function formatTransformer(architecture: TransformerArchitecture): string {
  const a = architecture;
  const parts = [`layers=${a.layers}`, `dim=${a.dim}`, `heads=${a.heads}`, `context=${a.context}`];
  if (a.vocab !== undefined) parts.push(`vocab=${a.vocab}`);
  if (a.arch === 'bert' && a.classes !== undefined) parts.push(`classes=${a.classes}`);
  if (a.mlp !== undefined) parts.push(`mlp=${a.mlp}`);
  if (a.dropout) parts.push(`dropout=${a.dropout}`);
  if (a.arch === 'bert' && a.norm === 'pre') parts.push('norm=pre');
  if (a.arch === 'gpt' && a.tied) parts.push('tied');
  if (a.arch === 'bert' && a.attentionMask) parts.push('mask');
  return `${a.arch}:${parts.join(',')}`;
}

/** A size given both in the string and by the caller must agree; one of them must be given. */
function agreed(what: string, key: string, fromSpec: number | undefined, fromCaller: number | undefined, architecture: TransformerArchitecture): number {
  if (fromSpec !== undefined && fromCaller !== undefined && fromSpec !== fromCaller) {
    throw new RetortError('BAD_ARGUMENT', `Architecture "${formatTransformer(architecture)}" says ${key}=${fromSpec}, but the data has ${what} ${fromCaller}`);
  }
  const value = fromSpec ?? fromCaller;
  if (value === undefined) throw new RetortError('BAD_ARGUMENT', `Architecture "${formatTransformer(architecture)}" needs ${key}=N (its ${what}), or data that gives it`);
  return value;
}

export function buildTransformer(architecture: TransformerArchitecture, options: { seed: number; vocabSize?: number; numClasses?: number }): ModelProto {
  const a = architecture;
  const size = {
    layers: a.layers,
    dim: a.dim,
    heads: a.heads,
    context: a.context,
    vocabSize: agreed('vocabulary size', 'vocab', a.vocab, options.vocabSize, a),
    ...defined({ mlpWidth: a.mlp, dropout: a.dropout }),
  };
  if (a.arch === 'gpt') return buildGpt({ ...size, tiedHead: a.tied ?? false, seed: options.seed });
  return buildBert({ ...size, numClasses: agreed('number of classes', 'classes', a.classes, options.numClasses, a), norm: a.norm ?? 'post', attentionMask: a.attentionMask ?? false, seed: options.seed });
}

/** Drop undefined fields, so parsed specs compare equal to hand-written ones. */
function defined<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}
