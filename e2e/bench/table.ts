/**
 * The benchmark's one table: every figure with its target and a pass / fail beside it, and
 * the same rows as plain data for the JSON results file.
 */

export interface Target {
  readonly op: '>=' | '<=';
  readonly limit: number;
}

export interface Row {
  readonly section: string;
  readonly figure: string;
  /** undefined when the figure could not be measured in this run (`note` says why). */
  readonly value: number | undefined;
  readonly unit: string;
  /** Decimal places shown. */
  readonly digits: number;
  readonly target?: Target;
  readonly note?: string;
}

export type Verdict = 'pass' | 'FAIL' | 'n/a' | '';

export function verdict(row: Row): Verdict {
  if (!row.target) return '';
  if (row.value === undefined || Number.isNaN(row.value)) return 'n/a';
  const ok = row.target.op === '>=' ? row.value >= row.target.limit : row.value <= row.target.limit;
  return ok ? 'pass' : 'FAIL';
}

export function formatValue(value: number | undefined, digits: number, unit: string): string {
  if (value === undefined || Number.isNaN(value)) return 'not measured';
  const n = value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return unit ? `${n} ${unit}` : n;
}

function formatTarget(row: Row): string {
  if (!row.target) return '';
  return `${row.target.op} ${formatValue(row.target.limit, row.digits, row.unit)}`;
}

/** A GitHub-style table; numbers right-aligned. */
export function formatTable(rows: readonly Row[]): string {
  const header = ['section', 'figure', 'value', 'target', 'result', 'note'];
  const cells = rows.map((r) => [
    r.section,
    r.figure,
    formatValue(r.value, r.digits, r.unit),
    formatTarget(r),
    verdict(r),
    r.note ?? '',
  ]);
  const rightAligned = new Set([2, 3]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) =>
    `| ${c.map((v, i) => (rightAligned.has(i) ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (rightAligned.has(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...cells.map(line)].join('\n');
}

/** The rows as JSON-ready records, verdict included. */
export function rowsAsJson(rows: readonly Row[]) {
  return rows.map((r) => ({
    section: r.section,
    figure: r.figure,
    value: r.value === undefined || Number.isNaN(r.value) ? null : r.value,
    unit: r.unit,
    target: r.target ? `${r.target.op} ${r.target.limit}` : null,
    result: verdict(r) || null,
    note: r.note ?? null,
  }));
}
