/** The HTML view: escaping of every user string, embedded data read back intact, no external references. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, jsonForScript, renderReportHtml, tradeOffFronts } from '../../src/report/index.js';
import { sampleReport } from './sampleReport.js';

const hostile = '</script><script>alert(1)</script><img src=x onerror=alert(2)>&"\'\u2028';

/** The text of the <script id="report-data"> element, as a browser would hand it to JSON.parse. */
function embeddedData(html: string): unknown {
  const match = /<script id="report-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(match, 'no report-data element');
  return JSON.parse(match[1]!);
}

describe('escapeHtml and jsonForScript', () => {
  it('escapes the five HTML-significant characters and nothing else', () => {
    assert.equal(escapeHtml(`a<b>&"c'`), 'a&lt;b&gt;&amp;&quot;c&#39;');
    assert.equal(escapeHtml('plain ünïcode ε'), 'plain ünïcode ε');
  });

  it('JSON for a script element has no "<" and parses back to the same value', () => {
    const value = { name: hostile, n: [1, 2.5] };
    const text = jsonForScript(value);
    assert.ok(!text.includes('<') && !text.includes('>'), text);
    assert.deepEqual(JSON.parse(text), value);
  });
});

describe('renderReportHtml', () => {
  const report = sampleReport(['small', hostile, 'large']);
  report.models[1]!.path = `/tmp/${hostile}.onnx`;
  const html = renderReportHtml(report);

  it('lets no user string open or close a tag', () => {
    // The only <script> elements are the page's own four; the hostile name never appears raw.
    assert.equal(html.match(/<script/g)?.length, 4);
    assert.equal(html.match(/<\/script>/g)?.length, 4);
    assert.ok(!html.includes('<img'), 'an <img> tag reached the page');
    assert.ok(html.includes(escapeHtml(hostile)));
  });

  it('embeds the report data intact, with the Pareto fronts', () => {
    const data = embeddedData(html) as typeof report & { pareto: Record<string, number[]> };
    assert.equal(data.models[1]!.name, hostile);
    assert.equal(data.models[1]!.path, `/tmp/${hostile}.onnx`);
    assert.deepEqual(data.pareto, tradeOffFronts(report.models));
  });

  it('references nothing outside the file and forbids fetches by policy', () => {
    assert.ok(!/\b(src|href)=["']?(https?:)?\/\//i.test(html), 'external src/href');
    assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
    assert.ok(html.includes('Chart.js v4'), 'Chart.js is not inlined');
  });

  it('has a table row per model and a canvas per chart', () => {
    assert.equal(html.match(/<tr>/g)?.length, 1 + report.models.length);
    // Two trade-offs, per-class accuracy and per-class ECE; a reliability diagram and a layer chart per model.
    assert.equal(html.match(/<canvas /g)?.length, 4 + 2 * report.models.length);
    assert.ok(html.includes('id="per-class-ece"'));
  });

  it('shows the Huffman size where there is one, a dash elsewhere, and its definition in the legend', () => {
    const headers = [...html.matchAll(/<th title="[^"]*">([^<]*)<\/th>/g)].map((m) => m[1]);
    const column = headers.indexOf('Huffman');
    assert.ok(column > headers.indexOf('gzip'), headers.join(', '));
    const cells = [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].slice(1).map((row) => [...row[1]!.matchAll(/<td>([^<]*)<\/td>/g)].map((c) => c[1]));
    // The first cell (name, swatch, path) has markup inside and is not matched: column k is cells[k - 1].
    assert.deepEqual(cells.map((row) => row[column - 1]), ['300 B', '–', '–']);
    assert.match(html, /class="meta legend">[^<]*Huffman: the file with each layer&#39;s weight values Huffman coded/);
  });

  it('has the per-class fairness columns: worst class, accuracy gap, ECE gap', () => {
    const headers = [...html.matchAll(/<th title="[^"]*">([^<]*)<\/th>/g)].map((m) => m[1]!);
    for (const h of ['worst class', 'accuracy gap', 'ECE gap']) assert.ok(headers.includes(h), headers.join(', '));
    const firstRow = [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)][1]![1]!;
    assert.ok(firstRow.includes('<td>1: 0.00%</td><td>80.00 pp</td><td>0.4500</td>'), firstRow);
  });

  it('fidelity to the teacher: paired differences with their intervals and whether they exclude 0, and UQ fidelity', () => {
    const headers = [...html.matchAll(/<th title="[^"]*">([^<]*)<\/th>/g)].map((m) => m[1]!);
    const cells = [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].slice(1).map((row) => [...row[1]!.matchAll(/<td>([^<]*)<\/td>/g)].map((c) => c[1]));
    // Column k is cells[k - 1] (the name cell has markup and is not matched). The last model is the teacher.
    const column = (header: string): (string | undefined)[] => {
      const k = headers.indexOf(header);
      assert.ok(k > headers.indexOf('tau'), `${header} in ${headers.join(', ')}`);
      return cells.map((row) => row[k - 1]);
    };
    assert.deepEqual(column('Δaccuracy vs teacher'), ['-20.00 pp [-28.00, -8.00], excludes 0', '-10.00 pp [-18.00, +2.00], includes 0', '–']);
    assert.deepEqual(column('ΔNLL vs teacher'), ['+0.2000 [+0.1200, +0.3200], excludes 0', '+0.1000 [+0.0200, +0.2200], excludes 0', '–']);
    assert.deepEqual(column('CI covers teacher'), ['accuracy no · NLL no · ECE yes', 'accuracy yes · NLL no · ECE yes', '–']);
    assert.deepEqual(column('CI overlap with teacher'), ['accuracy 0.20 · NLL 0.00 · ECE 1.00', 'accuracy 0.50 · NLL 0.00 · ECE 1.00', '–']);
    assert.match(html, /Fidelity is measured against large\. Δ columns: each model minus the teacher, with a paired-bootstrap interval/);
  });

  it('without resamples: no difference or UQ columns', () => {
    const plain = sampleReport(['a', 'b']);
    for (const m of plain.models) if (m.fidelity) m.fidelity = { teacher: 'b', agreement: { value: 1 }, kl: { value: 0 }, kendallTau: null };
    const page = renderReportHtml(plain);
    assert.ok(page.includes('>agreement</th>'));
    assert.ok(!page.includes('Δ') && !page.includes('CI covers'), 'difference or UQ columns without resamples');
  });

  it('fronts: accuracy up, size and latency down', () => {
    // sampleReport: accuracy and size grow together; latency falls as accuracy grows.
    assert.deepEqual(tradeOffFronts(report.models), { 'accuracy-vs-size': [0, 1, 2], 'accuracy-vs-latency': [2] });
  });
});
