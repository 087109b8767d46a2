/** Writing a report: the HTML view and, where asked, the JSON it was drawn from, each atomically. */
import { writeFileAtomic } from '../util/atomicWrite.js';
import { renderReportHtml } from './html.js';
import type { ComparisonReport } from './types.js';

export function writeReport(report: ComparisonReport, files: { html?: string; json?: string }): void {
  if (files.html) writeFileAtomic(files.html, renderReportHtml(report));
  if (files.json) writeFileAtomic(files.json, `${JSON.stringify(report, null, 2)}\n`);
}
