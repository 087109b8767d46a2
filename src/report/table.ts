/** The report's table of every model's numbers, as escaped HTML rows. */
import { escapeHtml } from './escape.js';
import { formatBytes, formatCount, formatDifference, formatEstimate, formatMetricCount, formatPercent } from './format.js';
import type { ComparisonReport, ModelEntry, PairedDifference, UncertaintyFidelity } from './types.js';
import { excludesZero } from './versusTeacher.js';

interface Column {
  header: string;
  /** Shown as the header's title (hover) text. */
  note: string;
  cell(m: ModelEntry): string;
}

const dash = '–';

/** The Huffman-coded size in one line (definition: src/eval/cost/huffmanSize.ts). */
export const HUFFMAN_LEGEND =
  'the file with each layer\'s weight values Huffman coded as in Deep Compression (Han et al. 2016): codes + codebook, or ' +
  'Huffman-coded values and relative positions of the non-zeros where cheaper; everything else at its raw size';

/** `+1.50 pp [-0.50, +3.50], excludes 0`: the paired difference, and whether it is significant at the interval's level. */
function differenceCell(difference: PairedDifference, as: 'points' | 'number'): string {
  return `${formatDifference(difference, as)}, ${excludesZero(difference) ? 'excludes 0' : 'includes 0'}`;
}

/** Model minus teacher, paired bootstrap (versusTeacher.ts). */
function differenceColumns(report: ComparisonReport): Column[] {
  const teacher = report.teacher ?? 'the teacher';
  const level = `${Math.round(100 * report.settings.confidence)}%`;
  const how = `${level} paired-bootstrap interval (both models scored on the same resampled samples); "excludes 0": the difference is significant at that level`;
  return [
    { header: 'Δaccuracy vs teacher', note: `accuracy of this model minus ${teacher}, percentage points, ${how}`, cell: (m) => (m.fidelity?.difference ? differenceCell(m.fidelity.difference.accuracy, 'points') : dash) },
    { header: 'ΔNLL vs teacher', note: `NLL of this model minus ${teacher}, nats (negative: better), ${how}`, cell: (m) => (m.fidelity?.difference ? differenceCell(m.fidelity.difference.nll, 'number') : dash) },
  ];
}

/** Uncertainty-quantification fidelity of accuracy, NLL and ECE, one `metric value` per metric. */
function uncertaintyColumns(report: ComparisonReport): Column[] {
  const teacher = report.teacher ?? 'the teacher';
  const perMetric = (m: ModelEntry, value: (f: UncertaintyFidelity) => string): string => {
    const u = m.fidelity?.uncertainty;
    return u ? `accuracy ${value(u.accuracy)} · NLL ${value(u.nll)} · ECE ${value(u.ece)}` : dash;
  };
  return [
    { header: 'CI covers teacher', note: `whether this model's interval of accuracy, NLL and ECE contains the value of ${teacher}`, cell: (m) => perMetric(m, (f) => (f.coversTeacher ? 'yes' : 'no')) },
    {
      header: 'CI overlap with teacher',
      note: `intersection over union of this model's and ${teacher}'s intervals of accuracy, NLL and ECE (1: the same range, 0: disjoint)`,
      cell: (m) => perMetric(m, (f) => f.overlap.toFixed(2)),
    },
  ];
}

function columns(report: ComparisonReport): Column[] {
  const batch = report.models[0]?.latency.batch ?? 1;
  const cols: Column[] = [
    { header: 'model', note: 'name given on the command line (or the file name)', cell: (m) => m.name },
    { header: 'parameters', note: 'float tensors with more than one element, plus integer-stored layer weights', cell: (m) => formatCount(m.parameters) },
    { header: 'non-zero', note: 'parameters that are not exactly zero', cell: (m) => `${formatCount(m.nonZeroParameters)} (${formatPercent(m.parameters ? m.nonZeroParameters / m.parameters : 0, 1)})` },
    { header: 'size', note: 'the .onnx file as stored', cell: (m) => formatBytes(m.bytes.raw) },
    { header: 'gzip', note: 'the file through gzip -9', cell: (m) => formatBytes(m.bytes.gzip) },
    {
      header: 'Huffman',
      note: `${HUFFMAN_LEGEND}; shown only for quantized or weight-shared weights (at most 256 distinct values per layer)`,
      cell: (m) => (m.bytes.huffman === undefined ? dash : formatBytes(m.bytes.huffman)),
    },
    { header: 'MACs', note: 'multiply-adds of Conv/MatMul/Gemm for the stated input shape', cell: (m) => formatMetricCount(m.macs.total) },
    { header: `p50 ms (batch ${batch})`, note: 'median ORT run time after warm-up', cell: (m) => m.latency.p50Ms.toFixed(3) },
    { header: 'p95 ms', note: '95th percentile ORT run time', cell: (m) => m.latency.p95Ms.toFixed(3) },
    { header: 'samples/s', note: 'batch x 1000 / mean ms', cell: (m) => formatCount(Math.round(m.latency.throughput)) },
    { header: 'accuracy', note: 'top-1 accuracy [bootstrap interval]', cell: (m) => formatEstimate(m.metrics.accuracy, 'percent') },
    { header: 'NLL', note: 'mean negative log-likelihood, nats', cell: (m) => formatEstimate(m.metrics.nll, 'number') },
    { header: 'Brier', note: 'multi-class Brier score', cell: (m) => formatEstimate(m.metrics.brier, 'number') },
    { header: 'ECE', note: `top-label expected calibration error, ${report.settings.calibrationBins} equal-width bins`, cell: (m) => formatEstimate(m.metrics.ece, 'number') },
    {
      header: 'worst class',
      note: 'the class with the lowest accuracy (recall) on its own samples: class: accuracy',
      cell: (m) => `${m.metrics.fairness.worstClass.class}: ${formatPercent(m.metrics.fairness.worstClass.accuracy)}`,
    },
    { header: 'accuracy gap', note: 'best-class minus worst-class accuracy, percentage points', cell: (m) => `${(100 * m.metrics.fairness.accuracyGap).toFixed(2)} pp` },
    { header: 'ECE gap', note: 'largest minus smallest per-class top-label ECE (each class\'s own samples)', cell: (m) => m.metrics.fairness.eceGap.toFixed(4) },
  ];
  if (report.models.some((m) => m.fidelity)) {
    cols.push(
      { header: 'agreement', note: `top-1 agreement with ${report.teacher ?? 'the teacher'}`, cell: (m) => (m.fidelity ? formatEstimate(m.fidelity.agreement, 'percent') : dash) },
      { header: 'KL', note: 'mean KL(teacher || model), nats', cell: (m) => (m.fidelity ? formatEstimate(m.fidelity.kl, 'number') : dash) },
      { header: 'tau', note: 'mean Kendall tau-b of the non-target class ranking', cell: (m) => (m.fidelity?.kendallTau != null ? m.fidelity.kendallTau.toFixed(3) : dash) },
    );
  }
  if (report.models.some((m) => m.fidelity?.difference)) cols.push(...differenceColumns(report));
  if (report.models.some((m) => m.fidelity?.uncertainty)) cols.push(...uncertaintyColumns(report));
  if (report.models.some((m) => m.robustness)) {
    cols.push({
      header: 'robust accuracy',
      note: 'accuracy under the stated attack',
      cell: (m) => (m.robustness ? `${formatEstimate(m.robustness.accuracy, 'percent')} (${m.robustness.description})` : dash),
    });
  }
  return cols;
}

export function renderTable(report: ComparisonReport, colorOf: (index: number) => string): string {
  const cols = columns(report);
  const head = cols.map((c) => `<th title="${escapeHtml(c.note)}">${escapeHtml(c.header)}</th>`).join('');
  const rows = report.models
    .map((m, i) => {
      const cells = cols.map((c, k) => {
        const text = escapeHtml(c.cell(m));
        return k === 0 ? `<td><span class="swatch" style="background:${colorOf(i)}"></span>${text}<div class="path">${escapeHtml(m.path)}</div></td>` : `<td>${text}</td>`;
      });
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<table class="numbers"><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}
