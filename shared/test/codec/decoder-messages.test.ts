/**
 * Which check refused a batch: each decoder guard has its own message, and several guards
 * sit in front of a later one that would refuse the same bytes with a vaguer message (a
 * column that ran dry reported as the garbage it produced, a count the columns cannot hold
 * reported as a short column). Pinning code and message per guard is what tells them apart;
 * decoder-checks.test.ts pins the codes.
 */
import { describe, expect, it } from 'vitest';
import { codecError, MAX_EVENT_TIME_MS, MIN_EVENT_TIME_MS } from '../../src/codec/format.ts';
import { decodeBatch, encodeBatch, peekBatchHeader } from '../../src/codec/index.ts';
import type { Reading } from '../../src/contracts.ts';
import { type ErrorCode, ErrorCodes, isEdgeflowError } from '../../src/errors.ts';
import { editEnvelope, encodeRaw } from './arbitraries.ts';

const T0 = 1_767_225_600_000;
const { CODEC_MALFORMED: MALFORMED, CODEC_COUNT_MISMATCH: MISMATCH, CODEC_OVERSIZE: OVERSIZE } = ErrorCodes;

interface Failure {
  readonly code: ErrorCode | 'not an EdgeflowError';
  readonly message: string;
  readonly hasCause: boolean;
}

function failure(run: () => unknown): Failure | 'ok' {
  try {
    run();
    return 'ok';
  } catch (err) {
    if (!isEdgeflowError(err)) return { code: 'not an EdgeflowError', message: String(err), hasCause: false };
    return { code: err.code, message: err.message, hasCause: Object.hasOwn(err, 'cause') };
  }
}

/** Code and message of decodeBatch's refusal, the message without the common prefix. */
function refusal(bytes: unknown, limits?: Parameters<typeof decodeBatch>[1]): [string, string] | 'ok' {
  const f = failure(() => decodeBatch(bytes as Uint8Array, limits));
  if (f === 'ok') return f;
  expect(f.message.startsWith('telemetry batch: ')).toBe(true);
  return [f.code, f.message.slice('telemetry batch: '.length)];
}

const r = (seq: number, tsMs = T0, value = 1, deviceId = 'dev-1', metric = 'co2'): Reading => ({
  deviceId,
  metric,
  tsMs,
  value,
  seq,
});
/** `co2` at whole units (the integer column); `level` has none, and thirds need the float column. */
const batchOf = (readings: Reading[], createdAtMs = T0): Uint8Array =>
  encodeBatch(
    { gatewayId: 'gw-1', createdAtMs, readings, alerts: [] },
    { decimalsFor: (metric) => (metric === 'co2' ? 0 : undefined) },
  );
const edit = (bytes: Uint8Array, patch: Record<string, unknown>) =>
  editEnvelope(bytes, (env) => {
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) delete env[key];
      else env[key] = value;
    }
  });

/** One series of three integer readings, seqs 5..7. */
const dense = batchOf([r(5), r(6, T0 + 1), r(7, T0 + 2)]);
/** Two integer readings of co2 (seqs 1, 3) and two float readings of level (seqs 2, 4). */
const mixed = batchOf([
  r(1),
  r(2, T0, 1 / 3, 'dev-1', 'level'),
  r(3, T0 + 1, 2),
  r(4, T0 + 1, 4 / 3, 'dev-1', 'level'),
]);
/** Three float readings, seqs 1..3. */
const floats = batchOf([
  r(1, T0, 1 / 3, 'dev-1', 'level'),
  r(2, T0 + 1, 2 / 3, 'dev-1', 'level'),
  r(3, T0 + 2, 4 / 3, 'dev-1', 'level'),
]);

function valueColumnBytes(bytes: Uint8Array): [number, number] {
  let lengths: [number, number] = [-1, -1];
  editEnvelope(bytes, (env) => {
    lengths = [(env.i as Uint8Array).length, (env.x as Uint8Array).length];
  });
  return lengths;
}

it('the fixtures use the value columns they are meant to', () => {
  expect(valueColumnBytes(dense)).toEqual([3, 0]);
  expect(valueColumnBytes(mixed)).toEqual([2, 16]);
  expect(valueColumnBytes(floats)).toEqual([0, 24]);
  expect(decodeBatch(mixed).readings.map((x) => x.value)).toEqual([1, 1 / 3, 2, 4 / 3]);
});

describe('decoder refusal messages: input and envelope', () => {
  it.each<[string, unknown, string, string]>([
    ['a string', 'abc', MALFORMED, 'input is not a Uint8Array'],
    ['an array of bytes', [0xa0], MALFORMED, 'input is not a Uint8Array'],
    ['empty input', new Uint8Array(0), ErrorCodes.CODEC_TRUNCATED, 'empty input'],
    ['a number', encodeRaw(5), MALFORMED, 'envelope is not a CBOR map'],
    ['a string envelope', encodeRaw('V'), MALFORMED, 'envelope is not a CBOR map'],
    ['null', encodeRaw(null), MALFORMED, 'envelope is not a CBOR map'],
    ['an array', encodeRaw([1, 2]), MALFORMED, 'envelope is not a CBOR map'],
    ['a byte string', encodeRaw(new Uint8Array([1, 2])), MALFORMED, 'envelope is not a CBOR map'],
  ])('%s', (_name, input, code, message) => {
    expect(refusal(input)).toEqual([code, message]);
    const peeked = failure(() => peekBatchHeader(input as Uint8Array));
    expect(peeked !== 'ok' && [peeked.code, peeked.message]).toEqual([code, `telemetry batch: ${message}`]);
  });

  it('names the size and the limit of oversize input', () => {
    expect(refusal(dense, { maxBytes: dense.length - 1 })).toEqual([
      OVERSIZE,
      `${dense.length} bytes exceeds ${dense.length - 1}`,
    ]);
  });

  it('tells bytes that end too early from bytes that are not CBOR, and keeps the parser error as cause', () => {
    const truncated = failure(() => decodeBatch(dense.subarray(0, dense.length - 1)));
    expect(truncated).toMatchObject({ code: ErrorCodes.CODEC_TRUNCATED, hasCause: true });
    // 0xff (a "break" outside any indefinite-length item) and 0x1c (reserved) are not CBOR.
    for (const bytes of [new Uint8Array([0xff]), new Uint8Array([0x1c])]) {
      const f = failure(() => decodeBatch(bytes));
      expect(f).toMatchObject({ code: MALFORMED, hasCause: true });
      expect(f !== 'ok' && f.message).toMatch(/^telemetry batch: envelope is not valid CBOR: \S/);
    }
  });

  it('a refusal by a guard carries no cause; a wrapped failure carries its cause', () => {
    expect(failure(() => decodeBatch(new Uint8Array(0)))).toMatchObject({ hasCause: false });
    const cause = new RangeError('boom');
    const wrapped = codecError(MALFORMED, 'x', cause);
    expect(wrapped.cause).toBe(cause);
    expect(Object.hasOwn(codecError(MALFORMED, 'x'), 'cause')).toBe(false);
  });
});

describe('decoder refusal messages: header and dictionaries', () => {
  it.each<[string, Record<string, unknown>, string, string]>([
    ['no major', { V: undefined }, MALFORMED, 'missing or invalid major version'],
    ['major 2', { V: 2 }, ErrorCodes.CODEC_UNKNOWN_MAJOR, 'major version 2, expected 1'],
    ['no minor', { v: undefined }, MALFORMED, 'missing or invalid minor version'],
    ['no gateway id', { g: undefined }, MALFORMED, 'missing gateway id'],
    ['a bad gateway id', { g: 'gw_1' }, ErrorCodes.CODEC_BAD_ID, 'bad gateway id "gw_1"'],
    ['no reading count', { n: undefined }, MALFORMED, 'missing or invalid reading count'],
    ['no first seq', { f: undefined }, MALFORMED, 'missing or invalid seq range'],
    ['a range too short for the count', { f: 5, l: 6 }, MISMATCH, '3 readings cannot have seqs 5..6'],
    ['no createdAtMs', { c: undefined }, MALFORMED, 'missing or invalid createdAtMs'],
    ['no device dictionary', { d: undefined }, MALFORMED, 'missing device id dictionary'],
    ['a device id that is a number', { d: [7] }, MALFORMED, 'device id 0 is not a string'],
    ['a bad device id', { d: ['dev 1'] }, ErrorCodes.CODEC_BAD_ID, 'bad device id "dev 1"'],
    ['no metric dictionary', { m: undefined }, MALFORMED, 'missing metric dictionary'],
    ['a metric that is null', { m: [null] }, MALFORMED, 'metric 0 is not a string'],
    ['a bad metric', { m: ['CO2'] }, ErrorCodes.CODEC_BAD_ID, 'bad metric "CO2"'],
    ['a series column that is not bytes', { s: [0] }, MALFORMED, 'column s is not a byte string'],
    ['a receipt column that is not bytes', { r: 'x' }, MALFORMED, 'column r is not a byte string'],
    ['no alerts', { a: undefined }, MALFORMED, 'missing alerts'],
    [
      'an alert that is not one',
      { a: [{}, { alertId: 'x' }] },
      MALFORMED,
      'alert 0 is not a valid AlertEvent',
    ],
  ])('%s', (_name, patch, code, message) => {
    expect(refusal(edit(dense, patch))).toEqual([code, message]);
  });

  it('names the declared count and the limit', () => {
    expect(refusal(dense, { maxReadings: 2 })).toEqual([OVERSIZE, 'declares 3 readings, limit 2']);
  });
});

describe('decoder refusal messages: columns', () => {
  it.each<[string, Uint8Array, Record<string, unknown>]>([
    ['the timestamp column', dense, { t: new Uint8Array([0, 0]) }],
    ['the seq column', dense, { q: new Uint8Array([0, 2]) }],
    ['both value columns (integers)', dense, { i: new Uint8Array([2, 0]) }],
    // Two whole floats: floor(16 / 8) = 2 values, one short of 3.
    ['both value columns (floats)', floats, { x: new Uint8Array(16) }],
    ['both value columns (one float byte short)', floats, { x: new Uint8Array(23) }],
  ])('refuses a count that %s cannot hold before decoding any reading', (_name, bytes, patch) => {
    expect(refusal(edit(bytes, patch))).toEqual([
      OVERSIZE,
      'declares 3 readings, more than the columns can hold',
    ]);
  });

  it('refuses value columns shorter than the series counts declare, each on its own', () => {
    const message = 'a value column holds fewer values than the series counts declare';
    // One float of two, the integer column long enough to pass the column-size check.
    expect(refusal(edit(mixed, { x: new Uint8Array(8), i: new Uint8Array([2, 2, 2]) }))).toEqual([
      MISMATCH,
      message,
    ]);
    // One integer of two, the float column long enough to pass the column-size check.
    expect(refusal(edit(mixed, { x: new Uint8Array(24), i: new Uint8Array([2]) }))).toEqual([
      MISMATCH,
      message,
    ]);
  });

  it('reports a column that ran dry, not the garbage it produced', () => {
    const message = 'a column holds fewer values than the series counts declare';
    // An unfinished varint reads as 0, so the first event time would be createdAtMs (0): out of range.
    expect(refusal(edit(dense, { c: 0, t: new Uint8Array([0x80, 0x80, 0x80]) }))).toEqual([
      MISMATCH,
      message,
    ]);
    // The seq interval runs dry (reads 0): a repeated seq, reported as the short column it is.
    expect(refusal(edit(dense, { q: new Uint8Array([0, 0x80, 0x80]) }))).toEqual([MISMATCH, message]);
    // The same at the end of the series, with nothing else wrong.
    expect(refusal(edit(dense, { i: new Uint8Array([2, 0, 0x80]) }))).toEqual([MISMATCH, message]);
  });

  it.each<[string, Uint8Array, Record<string, unknown>, string, string]>([
    [
      'an unfinished series header',
      dense,
      { s: new Uint8Array([0, 0x80]) },
      MALFORMED,
      'series column ends inside a series header',
    ],
    [
      'a device index past the dictionary',
      dense,
      { s: new Uint8Array([1, 0x01, 3]) },
      MALFORMED,
      'series refers to a dictionary entry that does not exist',
    ],
    [
      'a metric index past the dictionary',
      dense,
      { s: new Uint8Array([0, 0x11, 3]) },
      MALFORMED,
      'series refers to a dictionary entry that does not exist',
    ],
    [
      'resolution code 11',
      dense,
      { s: new Uint8Array([0, 0x0b, 3]) },
      MALFORMED,
      'unknown resolution code 11',
    ],
    ['an empty series', dense, { s: new Uint8Array([0, 0x01, 0, 0, 0x01, 3]) }, MALFORMED, 'empty series'],
    [
      'series longer than the count',
      dense,
      { s: new Uint8Array([0, 0x01, 4]) },
      MISMATCH,
      'series hold more than the declared 3 readings',
    ],
    [
      'series shorter than the count',
      dense,
      { s: new Uint8Array([0, 0x01, 2]) },
      MISMATCH,
      'series hold 2 readings, header declares 3',
    ],
    [
      'a trailing byte in a column',
      dense,
      { q: new Uint8Array([0, 2, 0, 0]) },
      MALFORMED,
      'trailing bytes after the last series in a column',
    ],
    [
      'a repeated seq inside a series',
      dense,
      { q: new Uint8Array([0, 2, 1]) },
      MALFORMED,
      'dev-1/co2: seq 6 repeats or is outside the range',
    ],
    ['an event time out of range', dense, { c: 1 }, MALFORMED, `dev-1/co2: tsMs ${1} out of range`],
    [
      'a non-finite float',
      floats,
      { x: new Uint8Array([0, 0, 0, 0, 0, 0, 0xf8, 0x7f, ...new Uint8Array(16)]) },
      ErrorCodes.CODEC_NON_FINITE,
      'dev-1/level: value NaN',
    ],
    ['receipt flag 2', dense, { r: new Uint8Array([2]) }, MALFORMED, 'dev-1/co2: receipt flag 2'],
  ])('%s', (_name, bytes, patch, code, message) => {
    expect(refusal(edit(bytes, patch))).toEqual([code, message]);
  });
});

describe('decoder paths: slots and sort', () => {
  /** Two one-reading series, the second's seq set to the first's: a duplicate, then a trailing byte in q. */
  const duplicateWithTrailingByte = (lastSeq: number) => {
    const bytes = batchOf([r(1), r(lastSeq, T0, 1, 'dev-2')]);
    return edit(bytes, { q: new Uint8Array([0, 0, 0]) });
  };

  it('places readings in slots while the seq range is at most 4x the count, sorts beyond', () => {
    // The slot path sees the duplicate while decoding; the sort path first sees the trailing byte.
    expect(refusal(duplicateWithTrailingByte(8))).toEqual([MALFORMED, 'duplicate seq 1']);
    expect(refusal(duplicateWithTrailingByte(9))).toEqual([
      MALFORMED,
      'trailing bytes after the last series in a column',
    ]);
  });

  it('decodes a batch with gaps in its seq range to exactly its readings, in seq order', () => {
    const readings = [r(10), r(13, T0 + 3, 4), r(12, T0 + 2, 3, 'dev-2')];
    const decoded = decodeBatch(batchOf(readings)).readings;
    expect(decoded).toEqual([readings[0], readings[2], readings[1]]);
  });

  it('refuses a header range whose first or last seq no reading has (slot path)', () => {
    const message = 'seq range in the header does not match the readings';
    // Readings 6..8 under a header 5..8: the first slot stays empty.
    expect(refusal(edit(dense, { f: 5, l: 8, q: new Uint8Array([1, 2, 0]) }))).toEqual([MALFORMED, message]);
    expect(refusal(edit(dense, { l: 8 }))).toEqual([MALFORMED, message]);
  });

  it('refuses a header range whose first or last seq no reading has (sort path)', () => {
    const message = 'seq range in the header does not match the readings';
    const sparse = batchOf([r(10), r(30, T0 + 1, 2, 'dev-2')]);
    expect(decodeBatch(sparse).readings.map((x) => x.seq)).toEqual([10, 30]);
    // Seqs 10 and 30 kept (the first series starts 1 after the header's first seq 9).
    expect(refusal(edit(sparse, { f: 9, q: new Uint8Array([1, 20]) }))).toEqual([MALFORMED, message]);
    expect(refusal(edit(sparse, { l: 31 }))).toEqual([MALFORMED, message]);
  });
});

describe('decoder receipt times (1.1)', () => {
  it('decodes receipt times exactly at both ends of the range, refuses 1 ms beyond', () => {
    const at = (rxMs: number) => batchOf([{ ...r(1), rxMs }]);
    expect(decodeBatch(at(MIN_EVENT_TIME_MS)).readings[0]?.rxMs).toBe(MIN_EVENT_TIME_MS);
    expect(decodeBatch(at(MAX_EVENT_TIME_MS)).readings[0]?.rxMs).toBe(MAX_EVENT_TIME_MS);
    // Event and receipt times are deltas from createdAtMs: moving it moves both.
    expect(refusal(edit(at(MIN_EVENT_TIME_MS), { c: T0 - 1 }))).toEqual([
      MALFORMED,
      `dev-1/co2: rxMs ${MIN_EVENT_TIME_MS - 1} out of range`,
    ]);
    expect(refusal(edit(at(MAX_EVENT_TIME_MS), { c: T0 + 1 }))).toEqual([
      MALFORMED,
      `dev-1/co2: rxMs ${MAX_EVENT_TIME_MS + 1} out of range`,
    ]);
  });
});
