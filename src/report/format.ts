/** Numbers as the report prints them: fixed to en-US so the page does not depend on the locale. */
import type { Estimate, Interval } from './types.js';

export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

export function formatMetricCount(value: number): string {
  const steps: [number, string][] = [[1e9, 'G'], [1e6, 'M'], [1e3, 'K']];
  for (const [scale, suffix] of steps) if (value >= scale) return `${(value / scale).toFixed(2)} ${suffix}`;
  return String(value);
}

export function formatPercent(fraction: number, digits = 2): string {
  return `${(100 * fraction).toFixed(digits)}%`;
}

/** `98.12% [97.8, 98.4]`: the interval, where there is one, in the same unit. */
export function formatEstimate(estimate: Estimate, as: 'percent' | 'number', digits = 4): string {
  const one = (v: number): string => (as === 'percent' ? (100 * v).toFixed(2) : v.toFixed(digits));
  const point = as === 'percent' ? formatPercent(estimate.value) : one(estimate.value);
  return estimate.interval ? `${point} [${one(estimate.interval.lower)}, ${one(estimate.interval.upper)}]` : point;
}

/** `+1.50 pp [-0.50, +3.50]`: a signed difference and its interval, in percentage points or plain numbers. */
export function formatDifference(difference: Interval, as: 'points' | 'number', digits = 4): string {
  const one = (v: number): string => {
    const text = as === 'points' ? (100 * v).toFixed(2) : v.toFixed(digits);
    return v > 0 ? `+${text}` : text;
  };
  return `${one(difference.estimate)}${as === 'points' ? ' pp' : ''} [${one(difference.lower)}, ${one(difference.upper)}]`;
}
