/**
 * `retort run RECIPE.yaml`: a multi-stage compression pipeline written as data (src/recipe/pipeline/),
 * validated whole before anything runs, executed stage by stage into a run folder with a manifest,
 * resumable, and ended by the comparison of every model it made. `--validate` only checks the
 * recipe; `--list-stages` states every stage kind with its inputs, outputs and kwargs.
 */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { defaultRunFolder, describeStageKind, loadRecipe, parseOverrides, runRecipe, stageKinds, type FieldDescription, type Manifest, type ModelRef, type Recipe, type StageKindDescription } from '../../recipe/pipeline/index.js';
import { languageModelTable } from '../../report/index.js';
import { comparisonTable, settingsFields } from '../evaluationOptions.js';
import { formatBytes, formatTable, type Cell } from '../format.js';
import { bad, parseNumber } from '../trainingOptions.js';

interface RunFlags {
  out?: string;
  set: string[];
  validate?: boolean;
  listStages?: boolean;
  threads?: string;
  json?: boolean;
}

const EXAMPLE = `Recipe format (YAML or JSON; paths are relative to the recipe file):

  name: lenet5-prune-int8             # names the default run folder ./retort-runs/NAME
  seed: 0                             # every stage's seed unless it sets its own
  vars: { sparsity: 0.8 }             # \${vars.sparsity} alone keeps the type; inside text it substitutes
  data:
    mnist: { key: mnist, kwargs: { limitTrain: null, validation: 0, limitTest: null } }
    # a text file for language models (train/distill/eval stages; the comparison then reports
    # validation loss and perplexity): { key: text, kwargs: { path: input.txt, tokenizer: char | byte,
    #   validationFraction: 0.1, limitTrain: null, limitValidation: null } }   (limits in tokens)
  stages:                             # run in order; each writes into RUN/NAME/
    - name: pruned
      key: prune                      # a stage kind: retort run --list-stages
      inputs: { model: models/lenet5.onnx, data: mnist }   # data name, model path or STAGE.OUTPUT
      kwargs:
        sparsity: \${vars.sparsity}
    - name: check
      key: eval
      inputs: { model: pruned.model, data: mnist }
  report: { teacher: models/lenet5.onnx, bootstrap: 200 }  # the final comparison (optional)

Every problem of a recipe is reported at once with its path (exit 2). The run folder holds
manifest.json (recipe hash, versions, per stage: seed, hash, status, timings, artifacts, metrics),
one folder per stage, and the comparison of every model (comparison.txt/.json, report.html).
Re-running reuses finished stages whose hash (kind, kwargs, seed, data, inputs' hashes) is
unchanged and resumes an interrupted one from its checkpoint; editing a stage reruns it and
everything downstream. Example recipes: recipes/ (e.g. gpt-shakespeare-distill.yaml on text).`;

function fieldLines(fields: readonly FieldDescription[], indent: string): string[] {
  return fields.flatMap((f) => {
    // One option of a union (`key: sgd`, `method: static`), then its fields.
    if (f.type === 'option') return [`${indent}${f.name}${f.description ? ` — ${f.description}` : ''}`, ...fieldLines(f.fields ?? [], `${indent}  `)];
    const facts = [f.type, f.required ? 'required' : f.default !== undefined ? `default ${f.default}` : 'optional'].join(', ');
    const line = `${indent}${f.name}: ${facts}${f.description ? ` — ${f.description}` : ''}`;
    return [line, ...fieldLines(f.fields ?? [], `${indent}  `)];
  });
}

function describeKind(d: StageKindDescription): string {
  const inputs = d.inputs.map((i) => `    ${i.name} (${i.kind}${i.required ? '' : ', optional'}): ${i.description}`);
  return [`${d.key} — ${d.summary}`, '  inputs:', ...inputs, `  outputs: ${d.outputs.join(', ')}`, '  kwargs:', ...(d.kwargs.length > 0 ? fieldLines(d.kwargs, '    ') : ['    (none)'])].join('\n');
}

function listStages(json: boolean | undefined): void {
  const kinds = stageKinds.keys().map((key) => describeStageKind(stageKinds.get(key)));
  if (json) process.stdout.write(`${JSON.stringify(kinds, null, 2)}\n`);
  else process.stdout.write(`${kinds.map(describeKind).join('\n\n')}\n`);
}

/** A model reference as the recipe writes it. */
const refText = (ref: ModelRef): string => (ref.from === 'stage' ? `${ref.stage}.${ref.output}` : ref.label);

function planSummary(recipe: Recipe): string {
  const inputText = (s: Recipe['stages'][number]) =>
    Object.entries(s.inputs)
      .map(([name, i]) => `${name}=${i.kind === 'data' ? i.data : i.kind === 'model' ? refText(i.model) : i.models.map(refText).join(',')}`)
      .join(' ');
  return formatTable(['stage', 'kind', 'seed', 'inputs'], recipe.stages.map((s) => [s.name, s.key, s.seed, inputText(s)]));
}

const metric = (m: Record<string, unknown>, key: string, show: (v: number) => Cell): Cell => (typeof m[key] === 'number' ? show(m[key]) : '-');

function stageTable(manifest: Manifest): string {
  // Language models (text data) report validation loss and perplexity instead of test error.
  const text = manifest.stages.some((s) => typeof s.metrics.validationLoss === 'number');
  const rows = manifest.stages.map((s) => [
    s.name,
    s.key,
    s.skipped ? 'reused' : s.status,
    s.seconds === null ? '-' : s.seconds.toFixed(1),
    metric(s.metrics, 'parameters', (v) => v),
    metric(s.metrics, 'nonZeroParameters', (v) => v),
    metric(s.metrics, 'fileBytes', formatBytes),
    metric(s.metrics, 'testError', (v) => `${(100 * v).toFixed(2)}%`),
    ...(text ? [metric(s.metrics, 'validationLoss', (v) => v.toFixed(4)), metric(s.metrics, 'perplexity', (v) => v.toFixed(2))] : []),
  ]);
  return formatTable(['stage', 'kind', 'status', 'seconds', 'parameters', 'non-zero', 'size', 'test error', ...(text ? ['val loss', 'val ppl'] : [])], rows);
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description(
      'Run a multi-stage compression recipe (YAML or JSON): stages such as train, distill, prune, quantize, eval and compare in order, ' +
        'each writing its ONNX, metrics and log into a run folder with manifest.json; finished stages are reused and an interrupted one ' +
        'resumes from its checkpoint; ends with a comparison of every model (table, JSON, HTML report).',
    )
    .argument('[recipe]', 'the recipe file (.yaml, .yml or .json)')
    .option('--out <dir>', 'the run folder (default: ./retort-runs/NAME, NAME the recipe name)')
    .addOption(
      new Option('--set <name=value>', 'override a variable of the recipe\'s vars (value read as YAML: 3 is a number, true a boolean); repeatable')
        .argParser((value: string, previous: string[]) => [...previous, value])
        .default([], 'none'),
    )
    .option('--validate', 'only check the recipe (every problem at once) and print its stages')
    .option('--list-stages', 'print every stage kind with its inputs, outputs and kwargs (types, defaults, descriptions), then exit')
    .option('--threads <n>', 'ORT intra-op threads for every stage (default: ORT\'s choice; evaluation: the number of CPU cores)')
    .option('--json', 'print manifest.json (with --validate: the resolved recipe; with --list-stages: the kinds) instead of tables')
    .addHelpText('after', `\n${EXAMPLE}`)
    .action(async (file: string | undefined, flags: RunFlags) => {
      if (flags.listStages) return listStages(flags.json);
      if (file === undefined) throw bad('retort run: give a recipe file (or --list-stages)');
      const threads = flags.threads === undefined ? undefined : parseNumber('--threads', flags.threads, 'positive-int');
      const recipe = loadRecipe(resolve(file), { overrides: parseOverrides(flags.set) });
      if (flags.validate) {
        if (flags.json) process.stdout.write(`${JSON.stringify({ ...recipe, stages: recipe.stages.map(({ kind: _kind, ...s }) => s) }, null, 2)}\n`);
        else process.stdout.write(`recipe ${recipe.name}: valid, ${recipe.stages.length} stage${recipe.stages.length === 1 ? '' : 's'}\n${planSummary(recipe)}\n`);
        return;
      }
      const out = flags.out === undefined ? defaultRunFolder(recipe) : resolve(flags.out);
      const result = await runRecipe(recipe, {
        out,
        ...(threads === undefined ? {} : { threads }),
        progress: Boolean(process.stderr.isTTY) && !flags.json,
        handleSignals: true,
        renderTable: (report) => `${comparisonTable(report)}\n\n${settingsFields(report)}`,
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result.manifest, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${stageTable(result.manifest)}\n`);
      if (result.comparison) process.stdout.write(`\n${comparisonTable(result.comparison)}\n\n${settingsFields(result.comparison)}\n`);
      if (result.languageModels) process.stdout.write(`\n${languageModelTable(result.languageModels)}\n`);
      process.stderr.write(`run folder: ${result.dir}\n`);
    });
}
