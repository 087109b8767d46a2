/**
 * Recipe variables: `vars: { epochs: 8 }` referenced as `${vars.epochs}`. A string that is one
 * whole reference takes the variable's value with its type (`epochs: ${vars.epochs}` is the number
 * 8); a reference inside a longer string substitutes its text (`name: lenet-${vars.sparsity}`).
 * Substitution is textual and single-pass — a variable's value is never itself expanded, and
 * nothing is evaluated — so a recipe stays data. `--set NAME=VALUE` overrides a declared variable,
 * the value read as a YAML scalar (`--set epochs=3` is the number 3).
 */
import { parse as parseYaml } from 'yaml';
import { RetortError } from '../../util/errors.js';
import type { PathSegment, RecipeProblem } from './problems.js';

export type Vars = Readonly<Record<string, unknown>>;

const REFERENCE = /\$\{([^}]*)\}/g;
const WHOLE = /^\$\{([^}]*)\}$/;
const VAR_NAME = /^vars\.([A-Za-z_][\w-]*)$/;

function lookup(expression: string, vars: Vars, path: readonly PathSegment[], problems: RecipeProblem[]): { found: boolean; value?: unknown } {
  const name = VAR_NAME.exec(expression.trim())?.[1];
  if (name === undefined) {
    problems.push({ path, message: `"\${${expression}}": only variable references \${vars.NAME} can be substituted` });
    return { found: false };
  }
  if (!Object.hasOwn(vars, name)) {
    const declared = Object.keys(vars);
    problems.push({ path, message: `unknown variable vars.${name} (${declared.length > 0 ? `declared: ${declared.join(', ')}` : 'the recipe declares no vars'})` });
    return { found: false };
  }
  return { found: true, value: vars[name] };
}

function substituteString(text: string, vars: Vars, path: readonly PathSegment[], problems: RecipeProblem[]): unknown {
  const whole = WHOLE.exec(text);
  if (whole) {
    const { found, value } = lookup(whole[1]!, vars, path, problems);
    return found ? value : text;
  }
  return text.replace(REFERENCE, (match, expression: string) => {
    const { found, value } = lookup(expression, vars, path, problems);
    if (!found) return match;
    if (value !== null && typeof value === 'object') {
      problems.push({ path, message: `vars.${expression.trim().slice(5)} is a ${Array.isArray(value) ? 'list' : 'mapping'}; it can only be used as a whole value ("\${${expression.trim()}}" alone)` });
      return match;
    }
    return String(value);
  });
}

/**
 * A copy of `value` with every `${vars.NAME}` in its strings replaced; each unknown or malformed
 * reference becomes a problem at its path (the value keeps the reference text there).
 */
export function interpolate(value: unknown, vars: Vars, path: readonly PathSegment[], problems: RecipeProblem[]): unknown {
  if (typeof value === 'string') return value.includes('${') ? substituteString(value, vars, path, problems) : value;
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, vars, [...path, i], problems));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, vars, [...path, k], problems)]));
  }
  return value;
}

/** `NAME=VALUE` pairs as given to `--set`, VALUE read as a YAML scalar (number, boolean, null or string). */
export function parseOverrides(pairs: readonly string[]): Record<string, unknown> {
  const overrides: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = eq > 0 ? pair.slice(0, eq).trim() : '';
    if (!/^[A-Za-z_][\w-]*$/.test(name)) throw new RetortError('BAD_ARGUMENT', `--set "${pair}": expected NAME=VALUE, NAME a variable of the recipe's vars`);
    const text = pair.slice(eq + 1);
    let value: unknown;
    try {
      value = text.trim() === '' ? '' : (parseYaml(text, { schema: 'core' }) as unknown);
    } catch {
      value = text;
    }
    // A value that reads as a mapping or list in YAML stays the text the user typed: --set takes scalars.
    overrides[name] = value !== null && typeof value === 'object' ? text : value;
  }
  return overrides;
}

/** The recipe's vars with `--set` overrides applied; overriding an undeclared variable is a problem (a typo guard). */
export function applyOverrides(vars: Vars, overrides: Readonly<Record<string, unknown>>, problems: RecipeProblem[]): Record<string, unknown> {
  const result: Record<string, unknown> = { ...vars };
  for (const [name, value] of Object.entries(overrides)) {
    if (!Object.hasOwn(vars, name)) {
      const declared = Object.keys(vars);
      problems.push({ path: ['vars'], message: `--set ${name}: the recipe declares no variable "${name}" (${declared.length > 0 ? `declared: ${declared.join(', ')}` : 'it has no vars'})` });
      continue;
    }
    result[name] = value;
  }
  return result;
}
