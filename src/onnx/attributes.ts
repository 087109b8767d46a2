/**
 * Node attributes: typed readers with defaults, and constructors. Floats are wrapped (`float(0.5)`)
 * because a JavaScript number cannot say whether `1` is an INT or a FLOAT attribute.
 */
import { RetortError } from '../util/errors.js';
import { int64ToNumber, newAttribute, type AttributeProto, type GraphProto, type NodeProto, type TensorProto } from './proto.js';

export const AttributeType = {
  FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10,
} as const;

export interface FloatAttr { readonly float: number }
export interface FloatsAttr { readonly floats: readonly number[] }
export const float = (value: number): FloatAttr => ({ float: value });
export const floats = (values: readonly number[]): FloatsAttr => ({ floats: values });

/** Attribute values as builders write them: integers as numbers, floats wrapped. */
export type AttrValue = number | readonly number[] | string | readonly string[] | FloatAttr | FloatsAttr | TensorProto | GraphProto;
export type Attrs = Record<string, AttrValue | undefined>;

function isTensor(v: object): v is TensorProto {
  return 'dataType' in v && 'dims' in v;
}

export function makeAttribute(name: string, value: AttrValue): AttributeProto {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new RetortError('BAD_ARGUMENT', `Attribute "${name}": ${value} is not an integer; wrap floats with float()`);
    return newAttribute({ name, type: AttributeType.INT, i: value });
  }
  if (typeof value === 'string') return newAttribute({ name, type: AttributeType.STRING, s: Buffer.from(value, 'utf8') });
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) {
      return newAttribute({ name, type: AttributeType.STRINGS, strings: (value as string[]).map((s) => Buffer.from(s, 'utf8')) });
    }
    return newAttribute({ name, type: AttributeType.INTS, ints: [...(value as number[])] });
  }
  const v = value as object;
  if ('float' in v) return newAttribute({ name, type: AttributeType.FLOAT, f: (v as FloatAttr).float });
  if ('floats' in v) return newAttribute({ name, type: AttributeType.FLOATS, floats: [...(v as FloatsAttr).floats] });
  if (isTensor(v)) return newAttribute({ name, type: AttributeType.TENSOR, t: v });
  return newAttribute({ name, type: AttributeType.GRAPH, g: v as GraphProto });
}

export function makeAttributes(attrs: Attrs = {}): AttributeProto[] {
  return Object.entries(attrs)
    .filter((entry): entry is [string, AttrValue] => entry[1] !== undefined)
    .map(([name, value]) => makeAttribute(name, value));
}

export function findAttribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

export function attrInt(node: NodeProto, name: string, fallback: number): number {
  const a = findAttribute(node, name);
  return a ? int64ToNumber(a.i) : fallback;
}

export function attrFloat(node: NodeProto, name: string, fallback: number): number {
  const a = findAttribute(node, name);
  return a ? a.f : fallback;
}

export function attrInts(node: NodeProto, name: string): number[] | undefined {
  const a = findAttribute(node, name);
  return a ? a.ints.map(int64ToNumber) : undefined;
}

export function attrString(node: NodeProto, name: string, fallback: string): string {
  const a = findAttribute(node, name);
  return a ? Buffer.from(a.s).toString('utf8') : fallback;
}

export function attrTensor(node: NodeProto, name: string): TensorProto | undefined {
  return findAttribute(node, name)?.t ?? undefined;
}
