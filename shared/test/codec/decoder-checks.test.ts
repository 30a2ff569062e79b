/**
 * Every check of the decoder on its own: one envelope field at a time made invalid (wrong
 * type, out of range, one past a limit) gives the check's code, the value exactly on a limit
 * decodes. errors.test.ts covers the codes by family; this pins each guard, in decodeBatch
 * and in peekBatchHeader.
 */
import { describe, expect, it } from 'vitest';
import { MAX_EVENT_TIME_MS, MIN_EVENT_TIME_MS } from '../../src/codec/format.ts';
import { decodeBatch, encodeBatch, peekBatchHeader } from '../../src/codec/index.ts';
import type { Reading } from '../../src/contracts.ts';
import { type ErrorCode, ErrorCodes, isEdgeflowError } from '../../src/errors.ts';
import { editEnvelope } from './arbitraries.ts';

const T0 = 1_767_225_600_000;
const { CODEC_MALFORMED: MALFORMED, CODEC_COUNT_MISMATCH: MISMATCH, CODEC_OVERSIZE: OVERSIZE } = ErrorCodes;

function codeOf(run: () => unknown): ErrorCode | 'ok' | 'not an EdgeflowError' {
  try {
    run();
    return 'ok';
  } catch (err) {
    return isEdgeflowError(err) ? err.code : 'not an EdgeflowError';
  }
}

function batchOf(readings: Reading[], createdAtMs = T0): Uint8Array {
  return encodeBatch({ gatewayId: 'gw-1', createdAtMs, readings, alerts: [] });
}

const r = (seq: number, tsMs = T0, value = 1, deviceId = 'dev-1'): Reading => ({
  deviceId,
  metric: 'co2',
  tsMs,
  value,
  seq,
});
/** Three readings, seqs 5..7 (dense: the slot path). */
const dense = batchOf([r(5), r(6, T0 + 1), r(7, T0 + 2)]);
/** Two readings, seqs 10 and 30 (sparse: the sort path). */
const sparse = batchOf([r(10), r(30, T0 + 1, 2, 'dev-2')]);
const edit = (bytes: Uint8Array, patch: Record<string, unknown>) =>
  editEnvelope(bytes, (env) => {
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) delete env[key];
      else env[key] = value;
    }
  });

describe('decoder input checks', () => {
  it.each<[string, unknown]>([
    ['a string', 'abc'],
    ['a number array', [0xa0]],
    ['an ArrayBuffer', new ArrayBuffer(4)],
    ['null', null],
  ])('refuses %s as input with MALFORMED (decode and peek)', (_name, input) => {
    expect(codeOf(() => decodeBatch(input as Uint8Array))).toBe(MALFORMED);
    expect(codeOf(() => peekBatchHeader(input as Uint8Array))).toBe(MALFORMED);
  });

  it('refuses empty input as TRUNCATED, even with a 0-byte limit', () => {
    expect(codeOf(() => decodeBatch(new Uint8Array(0)))).toBe(ErrorCodes.CODEC_TRUNCATED);
    expect(codeOf(() => decodeBatch(new Uint8Array(0), { maxBytes: 0 }))).toBe(ErrorCodes.CODEC_TRUNCATED);
    expect(codeOf(() => peekBatchHeader(new Uint8Array(0)))).toBe(ErrorCodes.CODEC_TRUNCATED);
  });

  it('accepts a Buffer (a Uint8Array)', () => {
    expect(decodeBatch(Buffer.from(dense)).readings).toHaveLength(3);
  });

  it('accepts exactly maxReadings declared readings, refuses one more', () => {
    expect(codeOf(() => decodeBatch(dense, { maxReadings: 3 }))).toBe('ok');
    expect(codeOf(() => decodeBatch(dense, { maxReadings: 2 }))).toBe(OVERSIZE);
  });
});

describe('decoder header checks', () => {
  it.each<[string, Record<string, unknown>, ErrorCode]>([
    ['no major', { V: undefined }, MALFORMED],
    ['a fractional major', { V: 1.5 }, MALFORMED],
    ['a string major', { V: '1' }, MALFORMED],
    ['no minor', { v: undefined }, MALFORMED],
    ['a negative minor', { v: -1 }, MALFORMED],
    ['a fractional minor', { v: 0.5 }, MALFORMED],
    ['a numeric gateway id', { g: 7 }, MALFORMED],
    ['a gateway id with `_`', { g: 'gw_1' }, ErrorCodes.CODEC_BAD_ID],
    ['no reading count', { n: undefined }, MALFORMED],
    ['a negative reading count', { n: -1 }, MALFORMED],
    ['a fractional reading count', { n: 2.5 }, MALFORMED],
    ['no first seq', { f: undefined }, MALFORMED],
    ['a negative first seq', { f: -1 }, MALFORMED],
    ['a fractional first seq', { f: 5.5 }, MALFORMED],
    ['an unsafe last seq', { l: 2 ** 53 }, MALFORMED],
    ['no last seq', { l: undefined }, MALFORMED],
    ['first seq after last seq', { f: 8, l: 7 }, MALFORMED],
    ['a seq range one short of the count', { f: 5, l: 6 }, MISMATCH],
  ])('refuses %s (decode and peek)', (_name, patch, code) => {
    const bytes = edit(dense, patch);
    expect(codeOf(() => decodeBatch(bytes))).toBe(code);
    expect(codeOf(() => peekBatchHeader(bytes))).toBe(code);
  });

  it('reads a header whose seq range is exactly the count', () => {
    expect(peekBatchHeader(dense)).toMatchObject({ readingCount: 3, firstSeq: 5, lastSeq: 7 });
    const one = batchOf([r(0)]);
    expect(peekBatchHeader(one)).toMatchObject({ readingCount: 1, firstSeq: 0, lastSeq: 0 });
    expect(decodeBatch(one).readings.map((x) => x.seq)).toEqual([0]);
  });

  it('an empty batch must declare the range 0..0', () => {
    const empty = batchOf([]);
    expect(peekBatchHeader(empty)).toMatchObject({ readingCount: 0, firstSeq: 0, lastSeq: 0 });
    expect(decodeBatch(empty).readings).toEqual([]);
    expect(codeOf(() => peekBatchHeader(edit(empty, { l: 1 })))).toBe(MISMATCH);
  });
});

describe('decoder body checks', () => {
  it.each<[string, Record<string, unknown>, ErrorCode]>([
    ['no createdAtMs', { c: undefined }, MALFORMED],
    ['a fractional createdAtMs', { c: T0 + 0.5 }, MALFORMED],
    ['no device dictionary', { d: undefined }, MALFORMED],
    ['a device id that is not a string', { d: [7] }, MALFORMED],
    ['no metric dictionary', { m: 'co2' }, MALFORMED],
    ['a metric that is not a string', { m: [null] }, MALFORMED],
    ['a series column that is not bytes', { s: [0, 16, 3] }, MALFORMED],
    ['a timestamp column that is not bytes', { t: undefined }, MALFORMED],
    ['an int column that is not bytes', { i: 'x' }, MALFORMED],
    ['a float column that is not bytes', { x: undefined }, MALFORMED],
    ['alerts that are not an array', { a: {} }, MALFORMED],
  ])('refuses %s', (_name, patch, code) => {
    expect(codeOf(() => decodeBatch(edit(dense, patch)))).toBe(code);
  });

  it('decodes event times exactly at both ends of the range, refuses 1 ms beyond', () => {
    // Times are deltas from createdAtMs: moving it moves every reading.
    const low = batchOf([r(1, MIN_EVENT_TIME_MS)], T0);
    expect(decodeBatch(low).readings[0]?.tsMs).toBe(MIN_EVENT_TIME_MS);
    expect(codeOf(() => decodeBatch(edit(low, { c: T0 - 1 })))).toBe(MALFORMED);
    const high = batchOf([r(1, MAX_EVENT_TIME_MS)], T0);
    expect(decodeBatch(high).readings[0]?.tsMs).toBe(MAX_EVENT_TIME_MS);
    expect(codeOf(() => decodeBatch(edit(high, { c: T0 + 1 })))).toBe(MALFORMED);
  });

  it('refuses a seq outside the header range or a range the readings do not span', () => {
    // Slot path: seqs are deltas from the first seq, so lowering the last one strands seq 7.
    expect(codeOf(() => decodeBatch(edit(dense, { l: 6, n: 2 })))).not.toBe('ok');
    // Sort path (range 21 > 4 x 2 readings): last seq 29 leaves seq 30 outside.
    expect(codeOf(() => decodeBatch(edit(sparse, { l: 29 })))).toBe(MALFORMED);
    // A last seq past every reading: the header promises one that never comes.
    expect(codeOf(() => decodeBatch(edit(sparse, { l: 31 })))).toBe(MALFORMED);
    expect(codeOf(() => decodeBatch(edit(dense, { l: 8 })))).toBe(MALFORMED);
    // A first seq below every reading shifts them all, the last then falls outside.
    expect(codeOf(() => decodeBatch(edit(sparse, { f: 9 })))).toBe(MALFORMED);
    expect(decodeBatch(sparse).readings.map((x) => x.seq)).toEqual([10, 30]);
  });
});
