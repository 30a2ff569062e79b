import { describe, expect, it } from 'vitest';
import { formatTable, formatValue, type Row, rowsAsJson, verdict } from '../../bench/table.ts';

const row = (value: number | undefined, op?: '>=' | '<='): Row => ({
  section: 's',
  figure: 'f',
  value,
  unit: 'ms',
  digits: 1,
  ...(op ? { target: { op, limit: 5 } } : {}),
});

describe('verdict', () => {
  it('passes on the boundary and fails beyond it, both directions', () => {
    expect(verdict(row(5, '<='))).toBe('pass');
    expect(verdict(row(5.01, '<='))).toBe('FAIL');
    expect(verdict(row(5, '>='))).toBe('pass');
    expect(verdict(row(4.99, '>='))).toBe('FAIL');
  });

  it('says n/a for a targeted figure that was not measured, nothing without a target', () => {
    expect(verdict(row(undefined, '<='))).toBe('n/a');
    expect(verdict(row(Number.NaN, '<='))).toBe('n/a');
    expect(verdict(row(3))).toBe('');
  });
});

describe('formatTable', () => {
  it('lines up columns, right-aligns numbers, shows target and result', () => {
    const text = formatTable([
      {
        section: 'latency',
        figure: 'p99',
        value: 3.14259,
        unit: 'ms',
        digits: 2,
        target: { op: '<=', limit: 5 },
      },
      { section: 'edge', figure: 'raw aedes', value: 48123.4, unit: '/s', digits: 0 },
      {
        section: 'cost',
        figure: 'total',
        value: undefined,
        unit: '$',
        digits: 4,
        target: { op: '<=', limit: 0.05 },
        note: 'no batch',
      },
    ]);
    const lines = text.split('\n');
    expect(lines).toHaveLength(5);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    expect(lines[0]).toMatch(/^\| section +\| figure +\| +value \| +target \| result \| note +\|$/);
    expect(lines[2]).toContain('3.14 ms');
    expect(lines[2]).toContain('<= 5.00 ms');
    expect(lines[2]).toContain('| pass');
    expect(lines[3]).toContain('48,123 /s');
    expect(lines[4]).toContain('not measured');
    expect(lines[4]).toContain('| n/a');
    expect(lines[4]).toContain('no batch');
  });

  it('formats values with their unit and digits', () => {
    expect(formatValue(0.0123456, 4, '$')).toBe('0.0123 $');
    expect(formatValue(2, 2, '')).toBe('2.00');
    expect(formatValue(undefined, 2, 'ms')).toBe('not measured');
  });
});

describe('rowsAsJson', () => {
  it('keeps numbers, nulls what is missing, spells the target and the result', () => {
    expect(rowsAsJson([row(7, '<='), row(undefined)])).toEqual([
      { section: 's', figure: 'f', value: 7, unit: 'ms', target: '<= 5', result: 'FAIL', note: null },
      { section: 's', figure: 'f', value: null, unit: 'ms', target: null, result: null, note: null },
    ]);
  });
});
