/**
 * What `retort run --list-stages` states about each stage kind: its inputs and outputs as declared,
 * and its kwargs read from the kind's zod schema (through zod's JSON Schema export) — each field's
 * type, bounds, default and `.describe()` text, with the options of `{key, kwargs}` components one
 * level down — so the listing never drifts from what validation accepts.
 */
import { z } from 'zod';
import type { StageKind } from './stageKind.js';

export interface FieldDescription {
  name: string;
  /** `number in [0, 1]`, `whole number > 0`, `one of: layer, global`, `list of ...`. */
  type: string;
  required: boolean;
  /** JSON text of the default, if any. */
  default?: string;
  description?: string;
  /** Fields of a nested mapping; for a union, one entry (type `option`) per value of its discriminator, with that option's fields. */
  fields?: FieldDescription[];
}

export interface StageKindDescription {
  key: string;
  summary: string;
  inputs: { name: string; kind: string; required: boolean; description: string }[];
  outputs: string[];
  kwargs: FieldDescription[];
}

type JsonSchema = {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  required?: string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  default?: unknown;
  description?: string;
};

const LARGEST = Number.MAX_SAFE_INTEGER;

function numberType(s: JsonSchema): string {
  const noun = s.type === 'integer' ? 'whole number' : 'number';
  const low = s.minimum !== undefined ? { v: s.minimum, open: false } : s.exclusiveMinimum !== undefined ? { v: s.exclusiveMinimum, open: true } : null;
  const max = s.maximum !== undefined && s.maximum < LARGEST ? s.maximum : undefined;
  const high = max !== undefined ? { v: max, open: false } : s.exclusiveMaximum !== undefined ? { v: s.exclusiveMaximum, open: true } : null;
  if (low && high) return `${noun} in ${low.open ? '(' : '['}${low.v}, ${high.v}${high.open ? ')' : ']'}`;
  if (low) return `${noun} ${low.open ? '>' : '≥'} ${low.v}`;
  if (high) return `${noun} ${high.open ? '<' : '≤'} ${high.v}`;
  return noun;
}

/** The property every option of a union fixes to a constant (`key` of `{key, kwargs}` components, `method`...), or null. */
function discriminatorOf(options: JsonSchema[]): string | null {
  const names = Object.keys(options[0]?.properties ?? {});
  return names.find((name) => options.every((o) => typeof o.properties?.[name]?.const === 'string')) ?? null;
}

const constants = (options: JsonSchema[], name: string): string[] => options.map((o) => String(o.properties![name]!.const));

function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return `one of: ${s.enum.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')}`;
  const options = s.oneOf ?? s.anyOf;
  if (options) {
    const discriminator = discriminatorOf(options);
    if (discriminator === 'key') return `{ key: ${constants(options, 'key').join(' | ')}, kwargs }`;
    if (discriminator) return `{ ${discriminator}: ${constants(options, discriminator).join(' | ')}, ... }`;
    return options.map(typeOf).join(' or ');
  }
  const type = Array.isArray(s.type) ? s.type.join(' or ') : s.type;
  if (type === 'number' || type === 'integer') return numberType(s);
  if (type === 'array') return `list${s.minItems ? ` (at least ${s.minItems})` : ''} of ${s.items ? typeOf(s.items) : 'anything'}`;
  if (type === 'object') {
    if (s.properties) return 'mapping';
    return typeof s.additionalProperties === 'object' ? `mapping of name -> ${typeOf(s.additionalProperties)}` : 'mapping';
  }
  if (type === 'boolean') return 'true or false';
  return type ?? 'anything';
}

function fieldsOf(s: JsonSchema, depth: number): FieldDescription[] | undefined {
  if (depth > 3) return undefined;
  const options = s.oneOf ?? s.anyOf;
  const discriminator = options ? discriminatorOf(options) : null;
  if (options && discriminator) {
    // One entry per option: `key: sgd` with its kwargs' fields, or `method: static` with its other fields.
    return options.map((o) => {
      const { [discriminator]: _fixed, ...rest } = o.properties!;
      const fields = discriminator === 'key' ? (rest.kwargs ? (fieldsOf(rest.kwargs, depth + 1) ?? []).map((f) => ({ ...f, name: `kwargs.${f.name}` })) : []) : (fieldsOf({ ...o, properties: rest }, depth + 1) ?? []);
      return { name: `${discriminator}: ${String(o.properties![discriminator]!.const)}`, type: 'option', required: false, ...(o.description ? { description: o.description } : {}), fields };
    });
  }
  if (s.type === 'array' && s.items) return fieldsOf(s.items, depth);
  if (!s.properties) return undefined;
  return Object.entries(s.properties).map(([name, p]) => {
    const nested = fieldsOf(p, depth + 1);
    return {
      name,
      type: typeOf(p),
      required: (s.required ?? []).includes(name) && p.default === undefined,
      ...(p.default !== undefined ? { default: JSON.stringify(p.default) } : {}),
      ...(p.description ? { description: p.description } : {}),
      ...(nested && nested.length > 0 ? { fields: nested } : {}),
    };
  });
}

/** The fields of a kwargs schema; a schema JSON Schema cannot express gives no fields. */
export function describeKwargs(schema: z.ZodType): FieldDescription[] {
  let json: JsonSchema;
  try {
    json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  } catch {
    return [];
  }
  return fieldsOf(json, 0) ?? [];
}

export function describeStageKind(kind: StageKind): StageKindDescription {
  return {
    key: kind.key,
    summary: kind.summary,
    inputs: kind.inputs.map((i) => ({ name: i.name, kind: i.kind, required: i.required, description: i.description })),
    outputs: [...kind.outputs],
    kwargs: describeKwargs(kind.kwargs),
  };
}
