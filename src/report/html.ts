/**
 * The comparison report as ONE self-contained HTML file: styles, Chart.js and the page script are
 * inline, and a Content-Security-Policy forbids every fetch, so the page works offline and cannot
 * call out. Charts: accuracy vs size and vs latency with the Pareto front, per-class accuracy and
 * per-class ECE, a reliability diagram per model, per-layer sparsity and bit-width per model; then a table of every
 * number. Every user string is escaped (escape.ts).
 */
import { chartJsSource } from './chartLibrary.js';
import { CLIENT_SCRIPT } from './client.js';
import { escapeHtml, jsonForScript } from './escape.js';
import { paretoFront } from './pareto.js';
import { HUFFMAN_LEGEND, renderTable } from './table.js';
import type { ComparisonReport, ModelEntry } from './types.js';

/** Tableau 10: distinguishable, colour-blind-considerate, one colour per model everywhere. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const colorOf = (i: number): string => PALETTE[i % PALETTE.length]!;

/** Pareto fronts per trade-off chart, by canvas id: cost down, accuracy up. */
export function tradeOffFronts(models: readonly ModelEntry[]): Record<string, number[]> {
  const accuracy = (m: ModelEntry): number => m.metrics.accuracy.value;
  return {
    'accuracy-vs-size': paretoFront(models.map((m) => ({ cost: m.bytes.raw, quality: accuracy(m) }))),
    'accuracy-vs-latency': paretoFront(models.map((m) => ({ cost: m.latency.p50Ms, quality: accuracy(m) }))),
  };
}

const STYLE = `
:root { --ink: #27313b; --muted: #5f6b7a; --line: #dde2e8; --card: #ffffff; --page: #f4f6f9; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--page); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
main { max-width: 1280px; margin: 0 auto; padding: 24px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 28px 0 12px; }
h3 { font-size: 15px; margin: 0 0 8px; overflow-wrap: anywhere; }
.meta { color: var(--muted); margin: 0 0 8px; }
.legend { font-size: 13px; margin: 10px 0 0; }
.grid { display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px; }
.chart { position: relative; height: 340px; }
.chart.small { height: 300px; }
.scroll { overflow-x: auto; }
table.numbers { border-collapse: collapse; width: 100%; font-size: 14px; font-variant-numeric: tabular-nums; }
table.numbers th, table.numbers td { border-bottom: 1px solid var(--line); padding: 6px 10px; text-align: right; white-space: nowrap; }
table.numbers th:first-child, table.numbers td:first-child { text-align: left; min-width: 16em; }
table.numbers th { background: #eef1f5; cursor: help; }
.path { color: var(--muted); font-size: 12px; white-space: normal; overflow-wrap: anywhere; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 50%; margin-right: 7px; vertical-align: -1px; }
footer { color: var(--muted); font-size: 13px; margin-top: 24px; }
@media (max-width: 520px) { .grid { grid-template-columns: 1fr; } main { padding: 12px; } }
`;

function card(title: string, canvasId: string, size: 'normal' | 'small' = 'normal'): string {
  return `<section class="card"><h3>${escapeHtml(title)}</h3><div class="chart${size === 'small' ? ' small' : ''}"><canvas id="${canvasId}" role="img" aria-label="${escapeHtml(title)}"></canvas></div></section>`;
}

function settingsLine(report: ComparisonReport): string {
  const m = report.models[0];
  const parts = [
    `${report.data.name} ${report.data.split}, ${report.data.samples.toLocaleString('en-US')} samples`,
    report.settings.bootstrap > 0 ? `${Math.round(report.settings.confidence * 100)}% bootstrap intervals from ${report.settings.bootstrap} resamples, seed ${report.settings.seed}` : 'no bootstrap intervals',
  ];
  if (m) {
    const shapes = Object.entries(m.macs.inputShapes).map(([n, d]) => `${n}=${d.join('x')}`).join(' ');
    parts.push(`latency: ORT ${m.latency.provider}, batch ${m.latency.batch}, ${m.latency.threads} threads, ${m.latency.runs} runs after ${m.latency.warmup} warm-up`);
    parts.push(`MACs for ${shapes}`);
  }
  return parts.join(' · ');
}

function teacherLine(report: ComparisonReport, teacher: string): string {
  const paired = report.models.some((m) => m.fidelity?.difference)
    ? ' Δ columns: each model minus the teacher, with a paired-bootstrap interval (both scored on the same resampled samples); "CI covers teacher" and "CI overlap" compare each model\'s own intervals with the teacher\'s.'
    : '';
  return `Fidelity is measured against ${teacher}.${paired}`;
}

export function renderReportHtml(report: ComparisonReport): string {
  const pageData = { ...report, pareto: tradeOffFronts(report.models) };
  const perModel = (prefix: string, title: (m: ModelEntry) => string): string =>
    report.models.map((m, i) => card(title(m), `${prefix}-${i}`, 'small')).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(report.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(report.title)}</h1>
<p class="meta">${escapeHtml(settingsLine(report))}</p>
${report.teacher ? `<p class="meta">${escapeHtml(teacherLine(report, report.teacher))}</p>` : ''}
<h2>Trade-offs</h2>
<div class="grid">
${card('Accuracy vs file size (dashed: Pareto front)', 'accuracy-vs-size')}
${card('Accuracy vs latency (dashed: Pareto front)', 'accuracy-vs-latency')}
</div>
<h2>Numbers</h2>
<section class="card scroll">${renderTable(report, colorOf)}
<p class="meta legend">Hover a column header for its definition.${report.models.some((m) => m.bytes.huffman !== undefined) ? ` Huffman: ${escapeHtml(HUFFMAN_LEGEND)}; – where the weights take many distinct values.` : ''}</p></section>
<h2>Per-class accuracy and calibration</h2>
<div class="grid">
${card('Accuracy per class (recall)', 'per-class-accuracy')}
${card('ECE per class (top-label, on the class\'s own samples)', 'per-class-ece')}
</div>
<h2>Calibration</h2>
<div class="grid">
${perModel('reliability', (m) => `${m.name}: reliability (ECE ${m.metrics.ece.value.toFixed(4)})`)}
</div>
<h2>Layers</h2>
<div class="grid">
${perModel('layers', (m) => `${m.name}: sparsity and bits per layer`)}
</div>
<footer>retort ${escapeHtml(report.retortVersion)} · ${escapeHtml(report.created)} · charts by Chart.js (MIT)</footer>
</main>
<script id="report-data" type="application/json">${jsonForScript(pageData)}</script>
<script id="report-palette" type="application/json">${jsonForScript(PALETTE)}</script>
<script>${chartJsSource()}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}
