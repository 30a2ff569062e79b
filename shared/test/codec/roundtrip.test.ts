import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BATCH_MINOR } from '../../src/codec/format.ts';
import { decodeBatch, encodeBatch, peekBatchHeader } from '../../src/codec/index.ts';
import { alertEventChecker, readingChecker } from '../../src/validation.ts';
import { batchCaseArb, decimalsFrom, expectedReadings } from './arbitraries.ts';

describe('telemetry batch codec round trip', () => {
  it('is exact at the declared resolution for arbitrary batches', () => {
    fc.assert(
      fc.property(batchCaseArb, (c) => {
        const bytes = encodeBatch(c.batch, { decimalsFor: decimalsFrom(c) });
        const decoded = decodeBatch(bytes);
        expect(decoded.gatewayId).toBe(c.batch.gatewayId);
        expect(decoded.createdAtMs).toBe(c.batch.createdAtMs);
        expect(decoded.readings).toEqual(expectedReadings(c));
        expect(decoded.alerts).toEqual(c.batch.alerts);
        for (const r of decoded.readings) expect(readingChecker.check(r)).toBe(true);
        for (const a of decoded.alerts) expect(alertEventChecker.check(a)).toBe(true);
      }),
      { seed: 20261123, numRuns: 300 },
    );
  });

  it('is canonical: the bytes do not depend on the order readings are given in', () => {
    fc.assert(
      fc.property(batchCaseArb, fc.infiniteStream(fc.nat()), (c, picks) => {
        const shuffled = [...c.batch.readings];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = picks.next().value % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        const options = { decimalsFor: decimalsFrom(c) };
        expect(encodeBatch({ ...c.batch, readings: shuffled }, options)).toEqual(
          encodeBatch(c.batch, options),
        );
      }),
      { seed: 5, numRuns: 100 },
    );
  });

  it('peeks the header without decoding the columns', () => {
    fc.assert(
      fc.property(batchCaseArb, (c) => {
        const header = peekBatchHeader(encodeBatch(c.batch, { decimalsFor: decimalsFrom(c) }));
        const seqs = c.batch.readings.map((r) => r.seq);
        expect(header).toEqual({
          major: 1,
          minor: BATCH_MINOR,
          gatewayId: c.batch.gatewayId,
          readingCount: seqs.length,
          firstSeq: seqs.length === 0 ? 0 : Math.min(...seqs),
          lastSeq: seqs.length === 0 ? 0 : Math.max(...seqs),
        });
      }),
      { seed: 7, numRuns: 100 },
    );
  });

  it('keeps -0 and every double bit-exact in the float column', () => {
    const values = [-0, 0, Number.MIN_VALUE, -Number.MAX_VALUE, 0.1 + 0.2, 1e-300];
    const readings = values.map((value, i) => ({
      deviceId: 'dev-1',
      metric: 'flow_rate',
      tsMs: 1_767_225_600_000 + i * 1000,
      value,
      seq: 100 + i,
    }));
    const decoded = decodeBatch(
      encodeBatch({ gatewayId: 'gw-1', createdAtMs: 1_767_225_610_000, readings, alerts: [] }),
    );
    expect(decoded.readings.map((r) => r.value)).toEqual(values);
    expect(Object.is(decoded.readings[0]!.value, -0)).toBe(true);
  });

  it('uses the catalogue resolution by default and quantizes to it', () => {
    const readings = [
      { deviceId: 'dev-1', metric: 'temperature', tsMs: 1_767_225_600_000, value: 21.534, seq: 1 },
      { deviceId: 'dev-1', metric: 'humidity', tsMs: 1_767_225_600_001, value: 45.26, seq: 2 },
      { deviceId: 'dev-1', metric: 'co2', tsMs: 1_767_225_600_002, value: 612.4, seq: 3 },
    ];
    const decoded = decodeBatch(
      encodeBatch({ gatewayId: 'gw-1', createdAtMs: 1_767_225_600_100, readings, alerts: [] }),
    );
    expect(decoded.readings.map((r) => r.value)).toEqual([21.53, 45.3, 612]);
  });

  it('moves a series whose quantized values exceed 2^52 to the float column, losslessly', () => {
    const readings = [
      { deviceId: 'dev-1', metric: 'temperature', tsMs: 1_767_225_600_000, value: 1e300, seq: 1 },
      { deviceId: 'dev-1', metric: 'temperature', tsMs: 1_767_225_601_000, value: 21.537, seq: 2 },
      { deviceId: 'dev-2', metric: 'temperature', tsMs: 1_767_225_601_000, value: 21.537, seq: 3 },
    ];
    const decoded = decodeBatch(
      encodeBatch({ gatewayId: 'gw-1', createdAtMs: 1_767_225_600_100, readings, alerts: [] }),
    );
    expect(decoded.readings.map((r) => r.value)).toEqual([1e300, 21.537, 21.54]);
  });

  it('returns an independent buffer per encode', () => {
    const mk = (value: number) => ({
      gatewayId: 'gw-1',
      createdAtMs: 1_767_225_600_100,
      readings: [{ deviceId: 'dev-1', metric: 'co2', tsMs: 1_767_225_600_000, value, seq: 1 }],
      alerts: [],
    });
    const first = encodeBatch(mk(400));
    const copy = Uint8Array.from(first);
    encodeBatch(mk(900));
    expect(Uint8Array.from(first)).toEqual(copy);
    expect(decodeBatch(first).readings[0]!.value).toBe(400);
  });
});

describe('float series with exact decimal values', () => {
  it('travel in the integer column yet decode to the identical doubles', () => {
    const values = [12.5, 12.75, 13, 12.25, 0.1, 1e-9, 123456.789];
    const readings = values.map((value, i) => ({
      deviceId: 'dev-1',
      metric: 'flow_rate',
      tsMs: 1_767_225_600_000 + i * 1000,
      value,
      seq: i,
    }));
    const batch = { gatewayId: 'gw-1', createdAtMs: 1_767_225_610_000, readings, alerts: [] };
    const bytes = encodeBatch(batch);
    expect(decodeBatch(bytes).readings.map((r) => r.value)).toEqual(values);
    // 7 values at 10^-9 cost a few bytes each, far below 8 bytes of float64 apiece.
    const floats = encodeBatch({
      ...batch,
      readings: readings.map((r) => ({ ...r, value: r.value + Math.PI })),
    });
    expect(bytes.length).toBeLessThan(floats.length - 7);
  });
});
