/**
 * `retort eval MODEL --data mnist`: one model's task metrics with bootstrap intervals, calibration,
 * per-class scores, cost (parameters, bytes, MACs, latency, per-layer sparsity and bits) and,
 * with --attack, robustness; as tables, --json, or the HTML report with --html FILE.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { compareModels, modelNames, writeReport, type ComparisonReport } from '../../report/index.js';
import { formatTable } from '../format.js';
import { addEvaluationOptions, comparisonTable, dataSelection, evaluationSettings, settingsFields, type EvaluationFlags } from '../evaluationOptions.js';

interface EvalFlags extends EvaluationFlags {
  html?: string;
}

const nullable = (v: number | null, digits = 4): string => (v === null ? '-' : v.toFixed(digits));

function detailTables(report: ComparisonReport): string {
  const m = report.models[0]!;
  const classes = formatTable(
    ['class', 'support', 'precision', 'recall', 'F1', 'ECE'],
    m.metrics.perClass.map((c, i) => [String(c.class), c.support, nullable(c.precision), nullable(c.recall), nullable(c.f1), nullable(m.metrics.fairness.perClass[i]?.ece ?? null)]),
    { indent: 2 },
  );
  const layers = formatTable(
    ['layer', 'op', 'weights', 'sparsity', 'bits', 'MACs'],
    m.perLayer.map((l) => [l.name, l.opType, l.weights, l.sparsity === null ? '-' : `${(100 * l.sparsity).toFixed(2)}%`, l.bits, l.macs ?? '-']),
    { indent: 2 },
  );
  return `per class\n${classes}\nper layer\n${layers}`;
}

export function registerEval(program: Command): void {
  const command = program
    .command('eval')
    .description(
      'Evaluate one ONNX classifier: accuracy, NLL, Brier score and ECE with bootstrap intervals, reliability bins, per-class ' +
        'precision/recall/F1/ECE, worst-class accuracy and the best-minus-worst class gaps in accuracy and ECE, parameters ' +
        '(total and non-zero), file size raw, gzip and Huffman coded (quantized or weight-shared weights), MACs per layer, per-layer sparsity and ' +
        'bit-width, ORT latency p50/p95 and throughput; with --attack, accuracy under FGSM or PGD.',
    )
    .argument('<model>', 'path to an .onnx classifier (first input: the samples, first output: the logits)');
  addEvaluationOptions(command)
    .option('--html <file>', 'also write the self-contained HTML report to this file')
    .action(async (path: string, flags: EvalFlags) => {
      const settings = evaluationSettings(flags);
      const data = dataSelection(flags);
      const [name] = modelNames([path], undefined);
      const report = await compareModels({ models: [{ path, name: name! }], data, settings });
      if (flags.html) writeReport(report, { html: resolve(flags.html) });
      if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(`${comparisonTable(report)}\n\n${settingsFields(report)}\n${detailTables(report)}\n`);
      if (flags.html) process.stderr.write(`report: ${resolve(flags.html)}\n`);
    });
}
