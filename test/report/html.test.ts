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
    assert.equal(html.match(/<canvas /g)?.length, 3 + 2 * report.models.length);
  });

  it('fronts: accuracy up, size and latency down', () => {
    // sampleReport: accuracy and size grow together; latency falls as accuracy grows.
    assert.deepEqual(tradeOffFronts(report.models), { 'accuracy-vs-size': [0, 1, 2], 'accuracy-vs-latency': [2] });
  });
});
