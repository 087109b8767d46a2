// Writes docs/gradients.md, the coverage table of gradient rules, from the registry itself:
// the op list and declared inputs come from dist/src/autodiff/registerAll.js (run `npx tsc -p .`
// first), the rule file from its import lines, notes from the rule file's header comment unless
// `details` below says more. `node scripts/gradient-coverage.mjs --check` exits 1 when the doc is stale.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const registerAll = join(root, 'dist/src/autodiff/registerAll.js');
const docPath = join(root, 'docs/gradients.md');

/** Every rule targets opsets 11..21; entries here record signature changes handled and tested. */
const TARGET_OPSETS = '11–21';
const details = {
  ReduceSum: ['11–21 (axes attribute <13, input 13+)', 'Axes must be constant.'],
  ReduceMean: ['11–21 (axes attribute <18, input 18+)', 'Axes must be constant.'],
  ReduceMax: ['11–21 (axes attribute <18, input 18+)', 'Ties share the gradient evenly. Axes must be constant.'],
  Reshape: [TARGET_OPSETS, 'dX = Reshape(dY, static shape of X).'],
  Flatten: [TARGET_OPSETS, 'dX = Reshape(dY, static shape of X).'],
  Squeeze: ['11–21 (axes attribute <13, input 13+)', 'dX = Reshape(dY, static shape of X).'],
  Unsqueeze: ['11–21 (axes attribute <13, input 13+)', 'dX = Reshape(dY, static shape of X).'],
  Transpose: [TARGET_OPSETS, 'Inverse permutation; no perm reverses the axes.'],
  Concat: ['11–21 (emits Split with `split` attribute <13, input 13+)', 'One Split of dY by the inputs\' static sizes.'],
  Split: ['11–21 (`split` attribute <13, input 13+, `num_outputs` 18+)', 'Concat of output gradients; unused outputs contribute zeros.'],
  Slice: [
    TARGET_OPSETS,
    'Unit steps: Pad of dY; other steps: ScatterElements (positions are unique). Negative and INT64_MAX-style bounds clamped as ONNX does. Bounds computed at run time: the same Slice of a position tensor, then ScatterElements.',
  ],
  Gather: [
    '11–21 (ScatterElements add 16+, OneHot before)',
    'Repeated indices accumulate. Before opset 16 the OneHot formulation materialises a K × N float matrix (K = size of the gathered axis, N = number of indices; vocabulary × tokens for embeddings).',
  ],
  Expand: [TARGET_OPSETS, 'Reduction of dY to X\'s shape is the engine\'s broadcast reduction.'],
  Pad: [
    '11–21 (pads attribute <11, input 11+, axes input 18+)',
    'Constant mode only (reflect, edge, wrap throw). Negative pads (cropping) handled; constant_value gets the sum of dY over the padded positions.',
  ],
  Softmax: ['11–21 (2D coercion at axis <13, single axis 13+)', 'dX = Y * (dY - sum(dY * Y, axes)).'],
  LogSoftmax: ['11–21 (2D coercion at axis <13, single axis 13+)', 'dX = dY - exp(Y) * sum(dY, axes).'],
  LayerNormalization: ['17–21', 'Gradients through the optional Mean and InvStdDev outputs too; Scale and B are reduced over the leading axes by the engine.'],
};

/** op -> rule file, from the compiled import lines of registerAll.js. */
async function ruleFiles(source) {
  const files = new Map();
  for (const match of source.matchAll(/import \{([^}]+)\} from '\.\/gradients\/([^']+)\.js';/g)) {
    const module = await import(pathToFileURL(join(dirname(registerAll), 'gradients', `${match[2]}.js`)).href);
    for (const name of match[1].split(',').map((s) => s.trim())) files.set(module[name], `${match[2]}.ts`);
  }
  return files;
}

/** First paragraph of a rule file's header comment, cut after a sentence when long. */
function headline(file) {
  const text = readFileSync(join(root, 'src/autodiff/gradients', file), 'utf8');
  const comment = /\/\*\*([\s\S]*?)\*\//.exec(text)?.[1] ?? '';
  const lines = comment.split('\n').map((l) => l.replace(/^\s*\*\s?/, '').trim());
  const firstParagraph = lines.join('\n').trim().split(/\n\s*\n/)[0].replace(/\s+/g, ' ');
  if (firstParagraph.length <= 240) return firstParagraph;
  const cut = firstParagraph.slice(0, 240).match(/^.*[.;](?=\s)/)?.[0];
  return cut ?? firstParagraph;
}

function inputsCell(rule, noGradient) {
  if (rule === noGradient) return 'none';
  const skipped = rule.nonDifferentiableInputs ?? [];
  const spec = rule.broadcastInputs;
  const reduced = spec === 'all' ? 'all' : spec?.length ? spec.join(', ') : '';
  return [skipped.length ? `all but ${skipped.join(', ')}` : 'all', reduced && `broadcast reduced: ${reduced}`].filter(Boolean).join('; ');
}

const cell = (text) => String(text).replaceAll('|', '\\|');

export async function coverageMarkdown() {
  const { gradientRules } = await import(pathToFileURL(registerAll).href);
  const files = await ruleFiles(readFileSync(registerAll, 'utf8'));
  const { NonDifferentiableGrad } = await import(pathToFileURL(join(dirname(registerAll), 'gradients/NonDifferentiable.grad.js')).href);
  const rows = gradientRules.map(([op, rule]) => {
    const file = files.get(rule);
    const [opsets, note] = details[op] ?? [TARGET_OPSETS, file ? headline(file) : ''];
    const link = file ? `[${file}](../src/autodiff/gradients/${file})` : '';
    return `| \`${op}\` | ${cell(opsets)} | ${cell(inputsCell(rule, NonDifferentiableGrad))} | ${cell(note)} | ${link} |`;
  });
  return [
    '# Gradient rule coverage',
    '',
    'Generated by `node scripts/gradient-coverage.mjs` from the registry in',
    '`src/autodiff/registerAll.ts` (after `npx tsc -p .`); do not edit by hand.',
    `${gradientRules.length} ops have rules. Every rule emits nodes valid at opsets ${TARGET_OPSETS};`,
    'where an op\'s signature changed across those opsets, the opsets column says how each form is handled.',
    '"Differentiable inputs" lists what the rule declares: inputs after "all but" (indices, shapes,',
    'axes) carry no gradient, and "broadcast reduced" inputs get dY summed back to their shape by the',
    'engine. Ops whose outputs are integers or booleans are registered with every input',
    'non-differentiable, so this table lists them; the engine never asks them for gradients.',
    '',
    '| Op | Opsets | Differentiable inputs | Notes | Rule |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const markdown = await coverageMarkdown();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(docPath, 'utf8');
    } catch {
      // A missing doc is stale.
    }
    if (current !== markdown) {
      console.error('docs/gradients.md is stale: run `npx tsc -p . && node scripts/gradient-coverage.mjs`');
      process.exit(1);
    }
  } else {
    mkdirSync(dirname(docPath), { recursive: true });
    writeFileSync(docPath, markdown);
    console.log(`Wrote ${docPath}`);
  }
}
