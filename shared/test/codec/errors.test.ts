import { describe, expect, it } from 'vitest';
import { decodeBatch, encodeBatch, peekBatchHeader, type TelemetryBatch } from '../../src/codec/index.ts';
import type { Reading } from '../../src/contracts.ts';
import { type ErrorCode, ErrorCodes, isEdgeflowError } from '../../src/errors.ts';
import { editEnvelope, encodeRaw } from './arbitraries.ts';

const T0 = 1_767_225_600_000;

function reading(deviceId: string, metric: string, s: number, value: number, seq: number): Reading {
  return { deviceId, metric, tsMs: T0 + s * 1000 + (seq % 3), value, seq };
}

function sampleBatch(): TelemetryBatch {
  const readings: Reading[] = [];
  let seq = 100;
  for (let s = 0; s < 4; s++) {
    readings.push(reading('dev-1', 'temperature', s, 21.5 + s / 100, seq++));
    readings.push(reading('dev-2', 'temperature', s, 19.25 - s / 100, seq++));
    readings.push(reading('dev-1', 'flow_rate', s, 0.1 * s, seq++));
  }
  return { gatewayId: 'gw-site-1', createdAtMs: T0 + 5000, readings, alerts: [] };
}

const valid = encodeBatch(sampleBatch());

function codeOf(run: () => unknown): ErrorCode | 'no error' | 'not an EdgeflowError' {
  try {
    run();
    return 'no error';
  } catch (err) {
    return isEdgeflowError(err) ? err.code : 'not an EdgeflowError';
  }
}

const decodeCode = (bytes: Uint8Array, limits?: Parameters<typeof decodeBatch>[1]) =>
  codeOf(() => decodeBatch(bytes, limits));

/** Replace one column's bytes (copy: the decoded envelope shares the source buffer). */
const withColumn = (key: string, edit: (bytes: number[]) => number[]) =>
  editEnvelope(valid, (env) => {
    env[key] = Uint8Array.from(edit([...(env[key] as Uint8Array)]));
  });

describe('decodeBatch error codes', () => {
  it('decodes the untouched sample (control)', () => {
    expect(decodeBatch(valid).readings).toHaveLength(12);
  });

  it('truncated: empty input and every proper prefix', () => {
    expect(decodeCode(new Uint8Array(0))).toBe(ErrorCodes.CODEC_TRUNCATED);
    expect(decodeCode(valid.subarray(0, valid.length - 1))).toBe(ErrorCodes.CODEC_TRUNCATED);
    for (let len = 1; len < valid.length; len++) {
      expect(decodeCode(valid.subarray(0, len))).toBe(ErrorCodes.CODEC_TRUNCATED);
    }
  });

  it('oversize: input above maxBytes, count above maxReadings, count the columns cannot hold', () => {
    expect(decodeCode(valid, { maxBytes: valid.length - 1 })).toBe(ErrorCodes.CODEC_OVERSIZE);
    expect(decodeCode(valid, { maxBytes: valid.length })).toBe('no error');
    expect(decodeCode(valid, { maxReadings: 11 })).toBe(ErrorCodes.CODEC_OVERSIZE);
    const huge = editEnvelope(valid, (env) => {
      env.n = 900_000;
      env.l = (env.f as number) + 10_000_000;
    });
    expect(decodeCode(huge)).toBe(ErrorCodes.CODEC_OVERSIZE);
    expect(decodeCode(huge, { maxReadings: 2_000_000 })).toBe(ErrorCodes.CODEC_OVERSIZE);
  });

  it('unknown major: refused by decode and peek, for newer and older majors', () => {
    for (const major of [0, 2, 99]) {
      const bytes = editEnvelope(valid, (env) => {
        env.V = major;
        env.s = 'a v2 layout this decoder cannot read';
      });
      expect(decodeCode(bytes)).toBe(ErrorCodes.CODEC_UNKNOWN_MAJOR);
      expect(codeOf(() => peekBatchHeader(bytes))).toBe(ErrorCodes.CODEC_UNKNOWN_MAJOR);
    }
    expect(decodeCode(encodeRaw({ v: 0 }))).toBe(ErrorCodes.CODEC_MALFORMED);
  });

  it('minor additions are ignored: extra envelope keys and a higher minor decode the same batch', () => {
    const newer = editEnvelope(valid, (env) => {
      env.v = 7;
      env.z = { future: ['column', new Uint8Array([1, 2, 3])] };
      env.checksum = 12345;
    });
    expect(decodeBatch(newer)).toEqual(decodeBatch(valid));
    expect(peekBatchHeader(newer).minor).toBe(7);
  });

  it('count mismatch: header count, series counts, a column shorter than its counts', () => {
    expect(
      decodeCode(
        editEnvelope(valid, (env) => {
          env.n = 11;
        }),
      ),
    ).toBe(ErrorCodes.CODEC_COUNT_MISMATCH);
    // The series column is [device, metric*16+resolution, count] per series.
    expect(decodeCode(withColumn('s', (b) => [b[0]!, b[1]!, b[2]! - 1, ...b.slice(3)]))).toBe(
      ErrorCodes.CODEC_COUNT_MISMATCH,
    );
    expect(decodeCode(withColumn('s', (b) => [b[0]!, b[1]!, b[2]! + 1, ...b.slice(3)]))).toBe(
      ErrorCodes.CODEC_COUNT_MISMATCH,
    );
    expect(decodeCode(withColumn('t', (b) => b.slice(0, -1)))).toBe(ErrorCodes.CODEC_COUNT_MISMATCH);
    expect(decodeCode(withColumn('x', (b) => b.slice(0, -8)))).toBe(ErrorCodes.CODEC_COUNT_MISMATCH);
  });

  it('non-finite: NaN or Infinity in the float column', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const bytes = withColumn('x', (b) => {
        const patched = new Uint8Array(b);
        new DataView(patched.buffer).setFloat64(8, bad, true);
        return [...patched];
      });
      expect(decodeCode(bytes)).toBe(ErrorCodes.CODEC_NON_FINITE);
    }
  });

  it('bad id: gateway, device and metric ids outside their grammars', () => {
    expect(
      decodeCode(
        editEnvelope(valid, (env) => {
          env.g = 'GW_1';
        }),
      ),
    ).toBe(ErrorCodes.CODEC_BAD_ID);
    expect(
      codeOf(() =>
        peekBatchHeader(
          editEnvelope(valid, (env) => {
            env.g = 'gw/1';
          }),
        ),
      ),
    ).toBe(ErrorCodes.CODEC_BAD_ID);
    expect(
      decodeCode(
        editEnvelope(valid, (env) => {
          env.d = ['dev-1', 'dev/2'];
        }),
      ),
    ).toBe(ErrorCodes.CODEC_BAD_ID);
    expect(
      decodeCode(
        editEnvelope(valid, (env) => {
          env.m = ['Temperature', 'flow_rate'];
        }),
      ),
    ).toBe(ErrorCodes.CODEC_BAD_ID);
  });

  it('malformed: not CBOR, wrong shape, wrong types, trailing bytes in a column, bad references', () => {
    expect(decodeCode(new Uint8Array([0xff, 0x00]))).toBe(ErrorCodes.CODEC_MALFORMED);
    expect(decodeCode(Uint8Array.from([...valid, 0x00]))).toBe(ErrorCodes.CODEC_MALFORMED);
    expect(decodeCode(encodeRaw([1, 0, 'gw-1']))).toBe(ErrorCodes.CODEC_MALFORMED);
    expect(decodeCode(encodeRaw('hello'))).toBe(ErrorCodes.CODEC_MALFORMED);
    expect(
      decodeCode(
        editEnvelope(valid, (env) => {
          env.q = 'not bytes';
        }),
      ),
    ).toBe(ErrorCodes.CODEC_MALFORMED);
    expect(
      decodeCode(
        editEnvelope(valid, (env) => {
          env.c = -12;
        }),
      ),
    ).toBe(ErrorCodes.CODEC_MALFORMED);
    expect(
      decodeCode(
        editEnvelope(valid, (env) => {
          delete env.a;
        }),
      ),
    ).toBe(ErrorCodes.CODEC_MALFORMED);
    expect(
      decodeCode(
        editEnvelope(valid, (env) => {
          env.a = [{ alertId: 'x' }];
        }),
      ),
    ).toBe(ErrorCodes.CODEC_MALFORMED);
    expect(decodeCode(withColumn('q', (b) => [...b, 0]))).toBe(ErrorCodes.CODEC_MALFORMED);
    expect(decodeCode(withColumn('s', (b) => [7, ...b.slice(1)]))).toBe(ErrorCodes.CODEC_MALFORMED);
    // An over-long varint (ten continuation bytes) in the timestamp column.
    expect(decodeCode(withColumn('t', (b) => [...Array(10).fill(0xff), 0x01, ...b.slice(1)]))).not.toBe(
      'no error',
    );
  });

  it('duplicate seq: across series (slot path) and in a sparse batch (sort path)', () => {
    const dense = encodeBatch({
      gatewayId: 'gw-1',
      createdAtMs: T0,
      readings: [reading('dev-1', 'co2', 0, 400, 10), reading('dev-2', 'co2', 0, 410, 11)],
      alerts: [],
    });
    const sparse = encodeBatch({
      gatewayId: 'gw-1',
      createdAtMs: T0,
      readings: [reading('dev-1', 'co2', 0, 400, 10), reading('dev-2', 'co2', 0, 410, 100)],
      alerts: [],
    });
    for (const bytes of [dense, sparse]) {
      // Second series' first seq becomes "previous series' first seq + 0".
      const dup = editEnvelope(bytes, (env) => {
        env.q = Uint8Array.from([0, 0]);
        if (bytes === sparse) env.l = 10 + 90;
      });
      expect(decodeCode(dup)).toBe(ErrorCodes.CODEC_MALFORMED);
      expect(() => decodeBatch(dup)).toThrow(/duplicate seq|repeats/);
    }
    // Within one series: an interval of 0 repeats the previous seq.
    const one = encodeBatch({
      gatewayId: 'gw-1',
      createdAtMs: T0,
      readings: [reading('dev-1', 'co2', 0, 400, 10), reading('dev-1', 'co2', 1, 401, 12)],
      alerts: [],
    });
    const repeated = editEnvelope(one, (env) => {
      env.q = Uint8Array.from([0, 0]);
    });
    expect(decodeCode(repeated)).toBe(ErrorCodes.CODEC_MALFORMED);
  });
});

describe('encodeBatch refuses caller bugs with CODEC_UNENCODABLE', () => {
  const base = sampleBatch();
  const cases: [string, TelemetryBatch][] = [
    ['non-finite value', { ...base, readings: [{ ...base.readings[0]!, value: Number.NaN }] }],
    ['infinite value', { ...base, readings: [{ ...base.readings[0]!, value: Number.POSITIVE_INFINITY }] }],
    [
      'duplicate seq',
      { ...base, readings: [base.readings[0]!, { ...base.readings[1]!, seq: base.readings[0]!.seq }] },
    ],
    ['bad device id', { ...base, readings: [{ ...base.readings[0]!, deviceId: 'a b' }] }],
    ['bad metric', { ...base, readings: [{ ...base.readings[0]!, metric: 'Temp' }] }],
    ['fractional tsMs', { ...base, readings: [{ ...base.readings[0]!, tsMs: T0 + 0.5 }] }],
    ['negative seq', { ...base, readings: [{ ...base.readings[0]!, seq: -1 }] }],
    ['bad gateway id', { ...base, gatewayId: 'G' }],
    ['negative createdAtMs', { ...base, createdAtMs: -1 }],
    ['fractional createdAtMs', { ...base, createdAtMs: 1.5 }],
  ];
  for (const [name, batch] of cases) {
    it(name, () => {
      expect(codeOf(() => encodeBatch(batch))).toBe(ErrorCodes.CODEC_UNENCODABLE);
    });
  }
  it('decimals outside 0..9', () => {
    expect(codeOf(() => encodeBatch(base, { decimalsFor: () => 10 }))).toBe(ErrorCodes.CODEC_UNENCODABLE);
    expect(codeOf(() => encodeBatch(base, { decimalsFor: () => 1.5 }))).toBe(ErrorCodes.CODEC_UNENCODABLE);
  });
});
