/**
 * Chart.js (MIT, https://www.chartjs.org) as one UMD script read from the installed package at
 * report time, so the report carries it inline and opens with no network.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { RetortError } from '../util/errors.js';

let cached: string | undefined;

export function chartJsSource(): string {
  if (cached !== undefined) return cached;
  const require = createRequire(import.meta.url);
  let file: string;
  try {
    // The package's exports map hides dist/; its CommonJS entry sits beside the UMD build.
    file = join(dirname(require.resolve('chart.js')), 'chart.umd.min.js');
    cached = readFileSync(file, 'utf8');
  } catch (e) {
    throw new RetortError('FILE_NOT_FOUND', `The chart.js package (its dist/chart.umd.min.js) is not installed, so the HTML report cannot be written: ${(e as Error).message}`, { cause: e });
  }
  // Inside an inline <script>, "</script" would end the element early (HTML spec); in JS source it
  // can only occur inside a string or regex literal, where "<\/" means the same.
  cached = cached.replace(/<\/(script)/gi, '<\\/$1');
  return cached;
}
