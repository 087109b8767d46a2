/**
 * Recipe problems: each one a path into the recipe (`stages[2].kwargs.sparsity`) and a sentence,
 * collected from every check (YAML, variables, the schema, references, each stage's kwargs) and
 * thrown together as one BAD_ARGUMENT error, so a user fixes a recipe in one pass (zod's own
 * model: every issue of an input at once, each with a path).
 */
import type { z } from 'zod';
import { RetortError } from '../../util/errors.js';

export type PathSegment = string | number;

export interface RecipeProblem {
  path: readonly PathSegment[];
  message: string;
}

/** `stages[2].kwargs.sparsity`; keys that are not plain names are quoted: `vars["a b"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text === '' ? '(recipe)' : text;
}

/** A value as the message quotes it: short JSON, cut after 60 characters. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const article = (type: string): string => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

const TYPE_NAMES: Record<string, string> = { int: 'whole number', object: 'mapping', array: 'list', record: 'mapping', map: 'mapping' };

/** Number bounds of the schema a size issue came from, so `max(1)` on `min(0)` reads "between 0 and 1". */
function numberBounds(schema: unknown): { min: number | null; max: number | null } | null {
  const s = schema as { minValue?: number | null; maxValue?: number | null } | undefined;
  if (!s || !('minValue' in s) || !('maxValue' in s)) return null;
  const clean = (v: number | null | undefined): number | null => (v === undefined || v === null || !Number.isFinite(v) || Math.abs(v) >= Number.MAX_SAFE_INTEGER ? null : v);
  return { min: clean(s.minValue), max: clean(s.maxValue) };
}

type RawIssue = z.core.$ZodRawIssue;

/** A number issue: "a number between 0 and 1", "a whole number > 0". */
function sizeMessage(issue: RawIssue & { code: 'too_big' | 'too_small' }): string {
  const origin = issue.origin as string;
  const bound = Number(issue.code === 'too_big' ? issue.maximum : issue.minimum);
  const inclusive = issue.inclusive !== false;
  if (origin === 'number' || origin === 'int' || origin === 'bigint') {
    const noun = origin === 'int' || (issue.schema as { isInt?: boolean } | undefined)?.isInt ? 'whole number' : 'number';
    const bounds = numberBounds(issue.schema);
    if (bounds && bounds.min !== null && bounds.max !== null) return `expected ${article(noun)} between ${bounds.min} and ${bounds.max}`;
    return `expected ${article(noun)} ${issue.code === 'too_big' ? (inclusive ? '≤' : '<') : inclusive ? '≥' : '>'} ${bound}`;
  }
  const unit = origin === 'string' ? 'character' : origin === 'array' ? 'entry' : 'item';
  const plural = bound === 1 ? unit : unit === 'entry' ? 'entries' : `${unit}s`;
  return `expected ${issue.code === 'too_big' ? 'at most' : 'at least'} ${bound} ${plural}`;
}

/**
 * zod's issues as a reader wants them: what was expected, with every valid choice listed where
 * there is a closed set. Returns undefined to keep zod's text (and any message a schema set itself).
 */
export const readableIssue: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'required';
      const isInt = (issue.inst as { isInt?: boolean } | undefined)?.isInt === true;
      const expected = String(issue.expected) === 'number' && isInt ? 'int' : String(issue.expected);
      return `expected ${article(TYPE_NAMES[expected] ?? expected)}`;
    }
    case 'too_big':
    case 'too_small':
      return sizeMessage(issue);
    case 'invalid_value':
      return issue.values.length === 1 ? `expected ${showValue(issue.values[0])}` : `expected one of: ${issue.values.map((v) => showValue(v)).join(', ')}`;
    case 'unrecognized_keys': {
      const shape = (issue.inst as { shape?: Record<string, unknown> } | undefined)?.shape;
      const valid = shape ? ` (valid: ${Object.keys(shape).join(', ')})` : '';
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}${valid}`;
    }
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      const discriminator = (issue as { discriminator?: string }).discriminator;
      if (discriminator && options) {
        const given = (issue.input as Record<string, unknown> | undefined)?.[discriminator];
        return `${given === undefined ? `required ${discriminator}` : `unknown ${discriminator} ${showValue(given)}`}; expected one of: ${options.map((o) => String(o)).join(', ')}`;
      }
      // A union of types (`string | string[]`): "expected a string or a list".
      const expected = issue.errors.map((branch) => (branch.length === 1 && branch[0]!.code === 'invalid_type' ? String(branch[0]!.expected) : null));
      if (expected.length > 0 && expected.every((e) => e !== null)) return `expected ${expected.map((e) => article(TYPE_NAMES[e!] ?? e!)).join(' or ')}`;
      return undefined;
    }
    default:
      return undefined;
  }
};

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}

/** One issue's text: the message, and the value found where there was one and it helps. */
function issueText(issue: z.core.$ZodIssue, root: unknown): string {
  // A refinement of a mapping reports the mapping as its input; show the field its path names.
  const input = issue.code === 'custom' ? valueAt(root, issue.path) : (issue as { input?: unknown }).input;
  const discriminated = issue.code === 'invalid_union' && (issue as { discriminator?: string }).discriminator !== undefined;
  const got = issue.code === 'unrecognized_keys' || discriminated || input === undefined ? '' : `, got ${showValue(input)}`;
  return `${issue.message}${got}`;
}

/**
 * Validates `value` with `schema`; on failure appends each issue at `prefix` + its path to
 * `problems` and returns undefined. Unions of `{key, kwargs}` components report the branch whose
 * `key` matched, as zod does.
 */
export function checkWith<T>(schema: z.ZodType<T>, value: unknown, prefix: readonly PathSegment[], problems: RecipeProblem[]): T | undefined {
  const result = schema.safeParse(value, { error: readableIssue, reportInput: true });
  if (result.success) return result.data;
  for (const issue of result.error.issues) problems.push({ path: [...prefix, ...(issue.path as PathSegment[])], message: issueText(issue, value) });
  return undefined;
}

/** One RetortError listing every problem, one per line, each with its path. */
export function recipeError(source: string, problems: readonly RecipeProblem[]): RetortError {
  const lines = problems.map((p) => `  ${formatPath(p.path)}: ${p.message}`);
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return new RetortError('BAD_ARGUMENT', `Recipe ${source}: ${count}\n${lines.join('\n')}`);
}
