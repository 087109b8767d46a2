/**
 * The HTML page of bench/temperatureBatch.bench.ts: log–log variance vs T per batch size (Hinton's
 * T²-scaled soft term and plain KL), and T(B) on one level set of the variance with the fitted and
 * claimed (B^-1/4) power laws. Self-contained: the report's inlined Chart.js (src/report).
 */
import { chartJsSource } from '../../src/report/chartLibrary.js';
import { escapeHtml, jsonForScript } from '../../src/report/escape.js';
import { PALETTE } from '../../src/report/html.js';
import type { Interval } from '../../src/eval/bootstrap.js';
import type { PowerLawFit } from './varianceMath.js';

export interface KdVariancePage {
  batches: number[];
  temperatures: number[];
  /** Mean per-coordinate variance of the T²-scaled soft term's gradient. */
  variance: (batch: number, temperature: number) => number;
  fits: { name: string; unscaled: boolean; fit: PowerLawFit; k: Interval }[];
  levels: Record<'scaled' | 'unscaled', { target: number; temperatures: (number | null)[] }>;
  note: string;
}

/** Level-set anchor: the level is V at B = 64, T = 4, so every T(B) line passes through (64, 4). */
const ANCHOR = { batch: 64, temperature: 4 };
/** T shown on the T(B) chart; a power law outside it is cut at its edges. */
const T_RANGE = { min: 0.5, max: 40 };

export function renderKdVarianceHtml(page: KdVariancePage): string {
  const perBatch = (unscaled: boolean) => page.batches.map((batch, i) => ({
    label: `B ${batch}`,
    data: page.temperatures.map((t) => ({ x: t, y: page.variance(batch, t) / (unscaled ? t ** 4 : 1) })),
    borderColor: PALETTE[i % PALETTE.length], backgroundColor: PALETTE[i % PALETTE.length],
  }));
  // Sampled finely in log B, and left out (not clamped) outside T_RANGE, so a steep law is not drawn flat.
  const first = page.batches[0]!;
  const last = page.batches.at(-1)!;
  const line = (k: number) => Array.from({ length: 41 }, (_, i) => first * (last / first) ** (i / 40))
    .map((batch) => ({ x: batch, y: ANCHOR.temperature * (batch / ANCHOR.batch) ** k }))
    .filter((p) => p.y >= T_RANGE.min && p.y <= T_RANGE.max);
  const levelPoints = (key: 'scaled' | 'unscaled') => page.batches.flatMap((batch, i) => {
    const t = page.levels[key].temperatures[i];
    return t === null || t === undefined ? [] : [{ x: batch, y: t }];
  });
  const level = [
    { label: 'measured, T² · KL', data: levelPoints('scaled'), borderColor: PALETTE[0], backgroundColor: PALETTE[0], showLine: false, pointRadius: 5 },
    { label: 'measured, KL without T²', data: levelPoints('unscaled'), borderColor: PALETTE[1], backgroundColor: PALETTE[1], showLine: false, pointRadius: 5 },
    ...page.fits.map((f, i) => ({ label: `fit ${f.name}: k = ${f.fit.k.toFixed(3)}`, data: line(f.fit.k), borderColor: PALETTE[(i + 2) % PALETTE.length], pointRadius: 0, borderDash: [6, 3] })),
    { label: 'claim: T ∝ B^(-1/4)', data: line(-0.25), borderColor: '#333', pointRadius: 0, borderDash: [2, 2] },
  ];
  const data = { scaled: perBatch(false), unscaled: perBatch(true), level, range: T_RANGE };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>Soft-term gradient variance vs temperature and batch size</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px}.grid{display:grid;grid-template-columns:1fr 1fr;gap:1.5rem}.card{border:1px solid #ddd;padding:1rem;border-radius:6px}.chart{position:relative;height:360px}.meta{color:#555}</style>
</head>
<body>
<h1>Soft-term gradient variance vs temperature and batch size</h1>
<p class="meta">${escapeHtml(page.note)}. Variance: mean over student parameters of the per-coordinate variance of the batch gradient across batches. Level set: V equal to its value at B ${ANCHOR.batch}, T ${ANCHOR.temperature}.</p>
<div class="grid">
<div class="card"><h2>T² · KL(softmax(t/T) ‖ softmax(s/T))</h2><div class="chart"><canvas id="scaled"></canvas></div></div>
<div class="card"><h2>KL without the T² factor (V / T⁴)</h2><div class="chart"><canvas id="unscaled"></canvas></div></div>
<div class="card"><h2>T(B) on the level set (fits: T 4–20)</h2><div class="chart"><canvas id="level"></canvas></div></div>
</div>
<script>${chartJsSource()}</script>
<script>
const DATA = ${jsonForScript(data)};
// Log ticks labelled at mantissas 1, 2 and 5 only, in short form.
const tidy = { callback: (v) => { const m = v / 10 ** Math.floor(Math.log10(v) + 1e-9); return [1, 2, 5].some((d) => Math.abs(m - d) < 1e-6) ? (v >= 0.01 && v < 1e4 ? String(+v.toPrecision(2)) : v.toExponential(0)) : ''; } };
const logAxes = (x, y, extra) => ({ x: { type: 'logarithmic', title: { display: true, text: x }, ticks: tidy }, y: { type: 'logarithmic', title: { display: true, text: y }, ticks: tidy, ...(extra || {}) } });
const base = { maintainAspectRatio: false, animation: false };
for (const id of ['scaled', 'unscaled']) {
  new Chart(document.getElementById(id), { type: 'line', data: { datasets: DATA[id] }, options: { ...base, scales: logAxes('temperature T', 'gradient variance') } });
}
new Chart(document.getElementById('level'), { type: 'line', data: { datasets: DATA.level }, options: { ...base, scales: logAxes('batch size B', 'temperature T', { min: DATA.range.min, max: DATA.range.max }) } });
</script>
</body>
</html>
`;
}
