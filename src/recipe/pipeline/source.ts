/**
 * Reading a recipe file into plain data: JSON (`.json`) or YAML 1.2 with the core schema only —
 * strings, numbers, booleans, null, mappings and lists. No tag can construct anything else (an
 * explicit tag outside the core set is an error, never a constructor), duplicate keys are errors,
 * and aliases are expanded under the `yaml` package's maxAliasCount, so a "billion laughs" file
 * is refused instead of exhausting memory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { isNode, parseDocument, visit, type Document, type DocumentOptions, type ParseOptions, type SchemaOptions } from 'yaml';
import { RetortError } from '../../util/errors.js';
import type { RecipeProblem } from './problems.js';

/** Tags of the YAML 1.2 core schema: the only ones a recipe may write out (`!!str 007`). */
const CORE_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`));

/** Expanded aliases allowed per document (the yaml package's guard against exponential expansion). */
const MAX_ALIAS_COUNT = 100;

export interface RecipeText {
  /** The parsed data, or undefined when the text could not be parsed (problems say why). */
  value: unknown;
  problems: RecipeProblem[];
}

/** `at line 3, column 7` from the yaml package's position. */
const where = (line: number | undefined, col: number | undefined): string => (line === undefined ? '' : ` (line ${line}, column ${col ?? 1})`);

const PARSE_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = { schema: 'core', customTags: [], uniqueKeys: true, prettyErrors: true, merge: false };

/**
 * `{ sparsity: ${vars.s} }` is not YAML: braces end a plain scalar inside a flow collection. A
 * whole-value reference there is quoted (its value keeps its type either way: variables.ts).
 */
const FLOW_REFERENCE = /([{[,]\s*(?:[\w-]+\s*:\s*)?)(\$\{vars\.[A-Za-z_][\w-]*\})(?=\s*[,}\]])/g;

/** The document, retried with flow-context references quoted when only that makes it parse. */
function parseRecipeDocument(text: string): { doc: Document.Parsed; text: string } {
  const doc = parseDocument(text, PARSE_OPTIONS);
  if (doc.errors.length === 0 || !text.includes('${')) return { doc, text };
  const quotedText = text.replace(FLOW_REFERENCE, '$1"$2"');
  const quoted = parseDocument(quotedText, PARSE_OPTIONS);
  return quoted.errors.length === 0 ? { doc: quoted, text: quotedText } : { doc, text };
}

export function parseYamlRecipe(source: string): RecipeText {
  const { doc, text } = parseRecipeDocument(source);
  const problems: RecipeProblem[] = [];
  const [first] = doc.errors;
  if (first) {
    // The parser's later errors are mostly consequences of its first one.
    const line = first.linePos?.[0].line;
    const more = doc.errors.length > 1 ? ` (${doc.errors.length - 1} more YAML error${doc.errors.length > 2 ? 's' : ''} after it)` : '';
    problems.push({ path: [], message: `YAML: ${first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}${where(line, first.linePos?.[0].col)}${more}` });
  }
  visit(doc, (_key, node) => {
    if (isNode(node) && node.tag !== undefined && !CORE_TAGS.has(node.tag)) {
      const before = node.range ? text.slice(0, node.range[0]).split('\n') : null;
      const at = before ? where(before.length, before.at(-1)!.length + 1) : '';
      problems.push({ path: [], message: `YAML: tag ${node.tag} is not allowed${at}; a recipe holds plain data (strings, numbers, booleans, null, mappings, lists)` });
    }
  });
  if (problems.length > 0) return { value: undefined, problems };
  try {
    return { value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), problems };
  } catch (e) {
    return { value: undefined, problems: [{ path: [], message: `YAML: ${(e as Error).message}` }] };
  }
}

export function parseJsonRecipe(text: string): RecipeText {
  try {
    return { value: JSON.parse(text) as unknown, problems: [] };
  } catch (e) {
    return { value: undefined, problems: [{ path: [], message: `JSON: ${(e as Error).message}` }] };
  }
}

/** The file's data: `.json` as JSON, anything else as YAML (YAML 1.2 reads JSON too). */
export function readRecipeFile(path: string): RecipeText {
  if (!existsSync(path)) throw new RetortError('FILE_NOT_FOUND', `Recipe ${path}: no such file`);
  const text = readFileSync(path, 'utf8');
  return extname(path).toLowerCase() === '.json' ? parseJsonRecipe(text) : parseYamlRecipe(text);
}
