/**
 * The HTML report in a real browser (Chromium, headless, no network): it loads from a file:// URL
 * with no console errors and no requests, every chart canvas has drawn pixels, user strings show
 * as text (a model named like an HTML tag stays text), and a screenshot is written to
 * test-artifacts/report.png for a person to look at.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { compareModels, writeReport, type ComparisonReport } from '../../src/report/index.js';
import { browserSkipReason, launchChromium } from './browser.js';
import { saveThreeModels } from './models.js';

const skip = browserSkipReason();
const hostileName = '</script><img src=x onerror="window.__injected=1">"&\'';

describe('HTML report in Chromium', { skip }, () => {
  let dir: string;
  let browser: BrowserContext;
  let profile: string;
  let report: ComparisonReport;
  let htmlPath: string;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'retort-report-'));
    const [a, b, c] = saveThreeModels(dir);
    report = await compareModels({
      models: [
        { path: a!, name: 'mlp-16' },
        { path: b!, name: hostileName },
        { path: c!, name: 'lenet5' },
      ],
      data: { source: 'mnist', limit: 300 },
      teacher: 'lenet5',
      settings: {
        bootstrap: { resamples: 50, confidence: 0.95, seed: 0 },
        batchSize: 300,
        calibrationBins: 10,
        latency: { batch: 1, threads: 1, runs: 5, warmup: 1 },
      },
    });
    htmlPath = path.join(dir, 'report.html');
    writeReport(report, { html: htmlPath });
    ({ context: browser, profile } = await launchChromium());
  });

  after(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('renders every chart with no console errors, no requests and no injected markup', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('dialog', (d) => problems.push(`dialog: ${d.message()}`));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) problems.push(`request: ${r.url()}`);
    });
    await page.goto(pathToFileURL(htmlPath).href);
    await page.waitForFunction(() => document.body.dataset.chartsReady === 'true', undefined, { timeout: 15_000 });

    // Canvases: two trade-offs, per-class accuracy and ECE, and a reliability diagram and a layer chart per model.
    const canvases = await page.evaluate(() =>
      [...document.querySelectorAll('canvas')].map((canvas) => {
        const ctx = canvas.getContext('2d')!;
        const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
        return { id: canvas.id, width: canvas.width, height: canvas.height, painted: painted / (canvas.width * canvas.height) };
      }),
    );
    assert.equal(canvases.length, 4 + 2 * report.models.length, JSON.stringify(canvases.map((c) => c.id)));
    assert.ok(canvases.some((c) => c.id === 'per-class-ece'));
    for (const c of canvases) {
      assert.ok(c.width > 100 && c.height > 100, `canvas ${c.id} is ${c.width}x${c.height}`);
      // Axes, labels and data marks cover far more than 1% of a chart; a blank canvas has 0.
      assert.ok(c.painted > 0.01, `canvas ${c.id}: only ${(100 * c.painted).toFixed(2)}% of pixels drawn`);
    }

    const page$ = await page.evaluate(() => ({
      images: document.querySelectorAll('img').length,
      injected: (window as unknown as { __injected?: number }).__injected ?? null,
      rowNames: [...document.querySelectorAll('table.numbers tbody tr td:first-child')].map((td) => td.firstChild?.nextSibling?.textContent ?? ''),
      tableRows: document.querySelectorAll('table.numbers tbody tr').length,
    }));
    assert.equal(page$.images, 0, 'a model name became an <img> element');
    assert.equal(page$.injected, null);
    assert.equal(page$.tableRows, 3);
    assert.ok(page$.rowNames.includes(hostileName), `names shown: ${JSON.stringify(page$.rowNames)}`);

    const artifacts = path.resolve('test-artifacts');
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'report.png'), fullPage: true });
    await page.setViewportSize({ width: 420, height: 900 });
    await page.screenshot({ path: path.join(artifacts, 'report-narrow.png'), fullPage: true });
    assert.deepEqual(problems, []);
  });
});
