/**
 * `retort compare A.onnx B.onnx ... --data mnist`: every model scored on the same test samples and
 * costed the same way, one table, --json, and the self-contained HTML report (accuracy vs size and
 * vs latency with the Pareto front, reliability diagrams, per-class and per-layer charts). With
 * --teacher, fidelity (agreement, KL, Kendall tau) of every other model to that one.
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { compareModels, modelNames, writeReport } from '../../report/index.js';
import { addEvaluationOptions, comparisonTable, dataSelection, evaluationSettings, settingsFields, type EvaluationFlags } from '../evaluationOptions.js';
import { bad } from '../trainingOptions.js';
import { compareTextModels, type TextCompareFlags } from '../compareText.js';

const TEXT_PREFIX = 'text:';

interface CompareFlags extends EvaluationFlags, Omit<TextCompareFlags, keyof EvaluationFlags> {
  teacher?: string;
  names?: string;
  out: string;
  html?: string | false;
  title?: string;
}

/** The teacher as a path among the models, or a name given by --names; a path not among them is added first. */
function placeTeacher(paths: string[], names: string[] | undefined, teacher: string | undefined): { paths: string[]; names?: string[]; teacherIndex?: number } {
  if (teacher === undefined) return { paths, ...(names ? { names } : {}) };
  const byName = names?.indexOf(teacher) ?? -1;
  if (byName >= 0) return { paths, names, teacherIndex: byName };
  const byPath = paths.findIndex((p) => resolve(p) === resolve(teacher));
  if (byPath >= 0) return { paths, ...(names ? { names } : {}), teacherIndex: byPath };
  if (names) throw bad(`--teacher "${teacher}" is neither one of the models nor a name in --names (${names.join(', ')}); list the teacher among the models to name it`);
  return { paths: [teacher, ...paths], teacherIndex: 0 };
}

export function registerCompare(program: Command): void {
  const command = program
    .command('compare')
    .description(
      'Compare ONNX classifiers on the same test samples (or, with --data text:PATH, language models on the same validation tokens: ' +
        'loss, perplexity, bits per token, size, and with --teacher each model\'s samples judged by the teacher): size (raw, gzip, Huffman coded for quantized or weight-shared weights), ' +
        'MACs, latency, accuracy, calibration, per-class fairness (worst class, accuracy and ECE gaps) and (with --teacher) ' +
        'fidelity, as one table, --json, and a self-contained HTML report (OUT/report.html, or --html FILE) with accuracy vs ' +
        'size and accuracy vs latency (Pareto front marked), per-class accuracy and ECE, reliability diagrams and per-layer sparsity and bit-width.',
    )
    .argument('<models...>', 'two or more .onnx classifiers (one is allowed)');
  addEvaluationOptions(command, { text: true })
    .option('--teacher <model>', 'measure fidelity (top-1 agreement, KL(teacher || model), Kendall tau of the wrong classes; with --bootstrap > 0 also accuracy and NLL minus the teacher\'s with paired-bootstrap intervals, and whether each model\'s intervals cover the teacher\'s values) relative to this model: a path (added to the comparison if not listed) or a name from --names')
    .option('--names <a,b,c>', 'display names for the models, comma-separated, in order (default: the file names)')
    .option('--title <text>', 'title of the HTML report')
    .option('--out <dir>', 'folder for report.html', '.')
    .option('--html <file>', 'write the HTML report here instead of OUT/report.html')
    .option('--no-html', 'do not write the HTML report')
    .option('--tokenizer <kind>', 'text data: the tokenizer for models that carry none (char or byte; default char)')
    .option('--validation-fraction <x>', 'text data: the fraction of tokens at the end of the file the models are scored on (default 0.1)')
    .option('--judge-tokens <n>', "text data with --teacher: tokens each model samples for the teacher to judge (default 8192; 0: no judging)")
    .action(async (models: string[], flags: CompareFlags) => {
      const names = flags.names === undefined ? undefined : flags.names.split(',').map((n) => n.trim());
      if (names && (names.length !== models.length || names.some((n) => n === ''))) {
        throw bad(`--names "${flags.names}": give ${models.length} non-empty names, one per model, comma-separated`);
      }
      if (names && new Set(names).size !== names.length) throw bad(`--names "${flags.names}": names must be distinct`);
      const placed = placeTeacher(models, names, flags.teacher);
      const displayNames = modelNames(placed.paths, placed.names);
      const teacher = placed.teacherIndex === undefined ? undefined : displayNames[placed.teacherIndex];
      if (flags.data.startsWith(TEXT_PREFIX)) {
        await compareTextModels(placed.paths.map((path, i) => ({ path, name: displayNames[i]! })), teacher, flags.data.slice(TEXT_PREFIX.length), flags);
        return;
      }
      if (flags.judgeTokens !== undefined || flags.validationFraction !== undefined || flags.tokenizer !== undefined) throw bad('--judge-tokens, --validation-fraction and --tokenizer apply to text data (--data text:PATH)');
      const settings = evaluationSettings(flags);
      const data = dataSelection(flags);
      const report = await compareModels({
        models: placed.paths.map((path, i) => ({ path, name: displayNames[i]! })),
        data,
        settings,
        ...(teacher === undefined ? {} : { teacher }),
        ...(flags.title ? { title: flags.title } : {}),
        onModel: (name, i, total) => process.stderr.write(`[${i + 1}/${total}] ${name}\n`),
      });
      const htmlPath = flags.html === false ? undefined : resolve(flags.html ?? join(flags.out, 'report.html'));
      if (htmlPath) writeReport(report, { html: htmlPath });
      if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(`${comparisonTable(report)}\n\n${settingsFields(report)}\n`);
      if (htmlPath) process.stderr.write(`report: ${htmlPath}\n`);
    });
}
