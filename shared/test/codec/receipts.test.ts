import { Decoder, Encoder } from 'cbor-x';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBatch, encodeBatch, peekBatchHeader } from '../../src/codec/index.ts';
import type { Reading } from '../../src/contracts.ts';
import { isEdgeflowError } from '../../src/errors.ts';
import { readingChecker } from '../../src/validation.ts';

const T0 = 1_780_000_000_000;
const cbor = new Decoder({ useRecords: false, mapsAsObjects: true, int64AsNumber: true } as never);
const reencode = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false });

function batchOf(readings: Reading[]) {
  return { gatewayId: 'gw-1', createdAtMs: T0, readings, alerts: [] };
}

describe('receipt column (1.1)', () => {
  it('round-trips receipt times exactly, omitting those equal to the event time', () => {
    const offsetArb = fc.oneof(fc.constant(0), fc.integer({ min: -300_000, max: 7 * 24 * 3_600_000 }));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('dev-a', 'dev-b'), fc.integer({ min: 0, max: 5000 }), offsetArb), {
          maxLength: 60,
        }),
        (rows) => {
          const readings: Reading[] = rows.map(([deviceId, dt, offset], seq) => {
            const tsMs = T0 + dt;
            const r: Reading = { deviceId, metric: 'temperature', tsMs, value: seq / 10, seq };
            if (offset !== 0) r.rxMs = tsMs + offset;
            return r;
          });
          const decoded = decodeBatch(encodeBatch(batchOf(readings))).readings;
          expect(decoded).toEqual(readings);
          for (const r of decoded) expect(readingChecker.check(r)).toBe(true);
        },
      ),
      { seed: 11, numRuns: 200 },
    );
  });

  it('costs nothing (no receipt column) when no reading carries a receipt time other than its event time', () => {
    const plain: Reading[] = [0, 1, 2].map((i) => ({
      deviceId: 'dev-a',
      metric: 'temperature',
      tsMs: T0 + i * 1000,
      value: 20,
      seq: i,
    }));
    const same = plain.map((r) => ({ ...r, rxMs: r.tsMs }));
    const bytes = encodeBatch(batchOf(plain));
    expect(encodeBatch(batchOf(same))).toEqual(bytes);
    expect(Object.hasOwn(cbor.decode(bytes) as object, 'r')).toBe(false);
  });

  it('writes receipts in the 1.1 column; a decoder that ignores the column sees the event times', () => {
    const stamped: Reading[] = [
      { deviceId: 'dev-a', metric: 'temperature', tsMs: T0 - 60_000, value: 20, seq: 0, rxMs: T0 },
      { deviceId: 'dev-a', metric: 'temperature', tsMs: T0 - 59_000, value: 21, seq: 1, rxMs: T0 + 1002 },
      { deviceId: 'dev-b', metric: 'temperature', tsMs: T0, value: 22, seq: 2 },
    ];
    const bytes = encodeBatch(batchOf(stamped));
    expect(peekBatchHeader(bytes).minor).toBe(1);
    const env = cbor.decode(bytes) as Record<string, unknown>;
    // Per series: flag 1 + two offsets (60000 then +2 -> zigzag, 3 + 1 bytes), flag 0.
    expect((env.r as Uint8Array).length).toBe(1 + 3 + 1 + 1);
    delete env.r;
    const older = decodeBatch(reencode.encode(env)).readings;
    expect(older.map((r) => Object.hasOwn(r, 'rxMs'))).toEqual([false, false, false]);
    expect(older.map((r) => r.tsMs)).toEqual(stamped.map((r) => r.tsMs));
  });

  it('refuses a malformed receipt column with a coded error', () => {
    const stamped: Reading[] = [
      { deviceId: 'dev-a', metric: 'temperature', tsMs: T0, value: 20, seq: 0, rxMs: T0 + 5 },
    ];
    const env = cbor.decode(encodeBatch(batchOf(stamped))) as Record<string, unknown>;
    const cases: Array<[unknown, string]> = [
      [new Uint8Array([2, 0]), 'EDGEFLOW_CODEC_MALFORMED'], // unknown flag
      [new Uint8Array([1]), 'EDGEFLOW_CODEC_COUNT_MISMATCH'], // offset missing
      [new Uint8Array([1, 10, 0]), 'EDGEFLOW_CODEC_MALFORMED'], // trailing byte
      ['not bytes', 'EDGEFLOW_CODEC_MALFORMED'],
      // rxMs far beyond the event-time range (zigzag of 2^50).
      [new Uint8Array([1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x04]), 'EDGEFLOW_CODEC_MALFORMED'],
    ];
    for (const [column, code] of cases) {
      let caught: unknown;
      try {
        decodeBatch(reencode.encode({ ...env, r: column }));
      } catch (err) {
        caught = err;
      }
      expect(isEdgeflowError(caught) && caught.code).toBe(code);
    }
    expect(() =>
      encodeBatch(
        batchOf([{ deviceId: 'dev-a', metric: 'temperature', tsMs: T0, value: 1, seq: 0, rxMs: 1 }]),
      ),
    ).toThrow(/rxMs out of range/);
  });
});
