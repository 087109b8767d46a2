/**
 * Reading recipes: YAML with the core schema only (no tag constructs anything, alias bombs are
 * refused), JSON, `${vars.NAME}` substitution (a whole reference keeps the type, an inline one
 * substitutes text, unknown names are problems at their path) and `--set` overrides.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseJsonRecipe, parseYamlRecipe, readRecipeFile } from '../../../src/recipe/pipeline/source.js';
import { formatPath, type RecipeProblem } from '../../../src/recipe/pipeline/problems.js';
import { applyOverrides, interpolate, parseOverrides } from '../../../src/recipe/pipeline/variables.js';
import { isRetortError } from '../../../src/util/errors.js';

test('YAML: plain data with the core schema; the flow-mapping form of the agreed format parses', () => {
  const { value, problems } = parseYamlRecipe(`
name: lenet5
seed: 0
vars: { epochs: 8, sparsity: 0.9 }
data:
  mnist: { key: mnist, kwargs: { limitTrain: null, validation: 0 } }
stages:
  - name: teacher
    key: train
    inputs: { data: mnist }
    kwargs:
      epochs: \${vars.epochs}
      optimizer: { key: sgd, kwargs: { lr: 0.1, nesterov: true } }
  - name: pruned
    key: prune
    inputs: { model: teacher.model, data: mnist }
    kwargs: { sparsity: "\${vars.sparsity}", note: yes, hex: 0x10 }
`);
  assert.deepEqual(problems, []);
  const recipe = value as { data: unknown; stages: { kwargs: Record<string, unknown> }[] };
  assert.deepEqual(recipe.data, { mnist: { key: 'mnist', kwargs: { limitTrain: null, validation: 0 } } });
  assert.equal(recipe.stages[0]!.kwargs.epochs, '${vars.epochs}');
  // YAML 1.2 core: `yes` is a string (not YAML 1.1's true), 0x10 an integer.
  assert.deepEqual(recipe.stages[1]!.kwargs, { sparsity: '${vars.sparsity}', note: 'yes', hex: 16 });
});

test('YAML: tags outside the core schema are problems with their line, never constructors; core tags are allowed', () => {
  const { value, problems } = parseYamlRecipe('name: x\nkey: !!js/function "function () {}"\nother: !custom { a: 1 }\n');
  assert.equal(value, undefined);
  assert.equal(problems.length, 2);
  assert.match(problems[0]!.message, /tag tag:yaml\.org,2002:js\/function is not allowed \(line 2/);
  assert.match(problems[1]!.message, /tag !custom is not allowed \(line 3/);
  assert.deepEqual(parseYamlRecipe('a: !!str 007\nb: !!int "7"\n').value, { a: '007', b: 7 });
});

test('YAML: an alias bomb is refused by the alias count limit; a few aliases are fine', () => {
  const level = (name: string, ref: string) => `${name}: &${name} [${Array(9).fill(`*${ref}`).join(', ')}]`;
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', level('b', 'a'), level('c', 'b'), level('d', 'c'), level('e', 'd'), level('f', 'e')].join('\n');
  const { value, problems } = parseYamlRecipe(bomb);
  assert.equal(value, undefined);
  assert.match(problems[0]!.message, /alias/i);
  assert.deepEqual(parseYamlRecipe('base: &opt { lr: 0.1 }\nother: *opt\n').value, { base: { lr: 0.1 }, other: { lr: 0.1 } });
});

test('YAML: a whole-value reference inside { } or [ ] (not YAML unquoted) is read as if quoted', () => {
  const { value, problems } = parseYamlRecipe('kwargs: { sparsity: ${vars.s}, list: [${vars.a}, ${vars.b}], text: "x, ${vars.c}" }\nplain: ${vars.d}\n');
  assert.deepEqual(problems, []);
  assert.deepEqual(value, { kwargs: { sparsity: '${vars.s}', list: ['${vars.a}', '${vars.b}'], text: 'x, ${vars.c}' }, plain: '${vars.d}' });
});

test('YAML: syntax errors and duplicate keys are problems, the first syntax error with its position and a count of the rest', () => {
  assert.match(parseYamlRecipe('a: 1\na: 2\n').problems[0]!.message, /unique/);
  const broken = parseYamlRecipe('a: [1, 2\nb: {c: d\nstages:\n  - x\n');
  assert.equal(broken.problems.length, 1);
  assert.match(broken.problems[0]!.message, /^YAML: .*\(line \d+, column \d+\)( \(\d+ more YAML errors? after it\))?$/);
});

test('JSON recipes, by extension; a missing file is FILE_NOT_FOUND', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retort-recipe-'));
  const file = path.join(dir, 'r.json');
  writeFileSync(file, '{"name": "j", "seed": 2}');
  assert.deepEqual(readRecipeFile(file).value, { name: 'j', seed: 2 });
  assert.match(parseJsonRecipe('{"name": ').problems[0]!.message, /^JSON: /);
  assert.throws(() => readRecipeFile(path.join(dir, 'none.yaml')), (e) => isRetortError(e) && e.code === 'FILE_NOT_FOUND');
});

test('a whole-string reference keeps the type; an inline one substitutes text; vars are not themselves expanded', () => {
  const vars = { epochs: 8, sparsity: 0.9, on: true, none: null, terms: [{ key: 'hinton' }], text: '${vars.epochs}' };
  const problems: RecipeProblem[] = [];
  const out = interpolate(
    { a: '${vars.epochs}', b: 'lenet-${vars.sparsity}-${vars.on}', c: ['${vars.none}', { d: '${ vars.terms }' }], e: '${vars.text}', f: 3 },
    vars,
    [],
    problems,
  );
  assert.deepEqual(problems, []);
  assert.deepEqual(out, { a: 8, b: 'lenet-0.9-true', c: [null, { d: [{ key: 'hinton' }] }], e: '${vars.epochs}', f: 3 });
});

test('unknown variables, other expressions and lists inside text are problems at their paths', () => {
  const problems: RecipeProblem[] = [];
  interpolate({ stages: [{ kwargs: { epochs: '${vars.epoch}', name: 'x-${env.HOME}', t: 'a${vars.list}' } }] }, { epochs: 1, list: [1] }, [], problems);
  assert.deepEqual(
    problems.map((p) => `${formatPath(p.path)}: ${p.message}`),
    [
      'stages[0].kwargs.epochs: unknown variable vars.epoch (declared: epochs, list)',
      'stages[0].kwargs.name: "${env.HOME}": only variable references ${vars.NAME} can be substituted',
      'stages[0].kwargs.t: vars.list is a list; it can only be used as a whole value ("${vars.list}" alone)',
    ],
  );
});

test('--set NAME=VALUE: values read as YAML scalars; an undeclared name is a problem; a malformed pair is BAD_ARGUMENT', () => {
  assert.deepEqual(parseOverrides(['epochs=3', 'name=lenet', 'on=true', 'x=null', 'r=0.5', 'eq=a=b', 'list=[1, 2]', 'empty=']), {
    epochs: 3,
    name: 'lenet',
    on: true,
    x: null,
    r: 0.5,
    eq: 'a=b',
    list: '[1, 2]',
    empty: '',
  });
  const problems: RecipeProblem[] = [];
  assert.deepEqual(applyOverrides({ epochs: 8, sparsity: 0.9 }, { epochs: 3, sparsty: 0.5 }, problems), { epochs: 3, sparsity: 0.9 });
  assert.equal(problems.length, 1);
  assert.match(problems[0]!.message, /--set sparsty: the recipe declares no variable "sparsty" \(declared: epochs, sparsity\)/);
  assert.throws(() => parseOverrides(['=3']), (e) => isRetortError(e) && e.code === 'BAD_ARGUMENT' && /NAME=VALUE/.test(e.message));
  assert.throws(() => parseOverrides(['epochs']), (e) => isRetortError(e) && e.code === 'BAD_ARGUMENT');
});
