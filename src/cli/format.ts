/**
 * Plain-text output for the CLI: aligned tables and readable numbers. Every table a command prints
 * is also available as --json, so nothing here needs to be machine-parseable.
 */

export type Cell = string | number;

export interface TableOptions {
  /** Indent every line by this many spaces. */
  indent?: number;
}

/** Thousands separators, fixed to en-US so output does not depend on the machine's locale. */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

/** Bytes in binary units (KiB, MiB, GiB), exact below 1 KiB. */
export function formatBytes(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes;
  let unit = 'B';
  for (const u of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = u;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${unit}`;
}

/** Large counts (MACs) with a metric suffix: 1.23 M, 4.5 G. */
export function formatMetric(value: number): string {
  const steps: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'K']];
  for (const [scale, suffix] of steps) {
    if (value >= scale) return `${(value / scale).toFixed(2)} ${suffix}`;
  }
  return String(value);
}

/** Dims as `[batch, 3, 224, 224]`; null (no declared shape) as `?`. */
export function formatDims(dims: readonly (number | string)[] | null): string {
  return dims === null ? '?' : `[${dims.join(', ')}]`;
}

/**
 * Columns padded to their widest cell; numbers are right-aligned and get thousands separators,
 * strings are left-aligned. Lines carry no trailing spaces.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[], options: TableOptions = {}): string {
  const indent = ' '.repeat(options.indent ?? 0);
  const text = rows.map((row) => row.map((c) => (typeof c === 'number' ? formatCount(c) : c)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === ''));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    indent + cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), ...text.map(line)].join('\n');
}

/** `key  value` lines with the keys padded to one width. */
export function formatFields(fields: readonly (readonly [string, string])[], options: TableOptions = {}): string {
  const indent = ' '.repeat(options.indent ?? 0);
  const width = Math.max(0, ...fields.map(([k]) => k.length));
  return fields.map(([k, v]) => `${indent}${k.padEnd(width)}  ${v}`.trimEnd()).join('\n');
}
