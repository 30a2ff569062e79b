/**
 * Ingest validation exactly at each limit: the value on a limit is accepted, one step past
 * it refused with its reason (payload size, metrics per message, clock skew either way,
 * the event-time range, a metric's range), and the text/CBOR split at the printable-ASCII
 * edges. parse.test.ts covers the shapes and the reasons.
 */
import { encode } from 'cbor-x';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type IngestLimits, parsePublish } from '../../src/ingest/parse.ts';

const NOW = 1_780_000_000_000;
const limits: IngestLimits = {
  maxPayloadBytes: 64,
  maxFutureSkewMs: 300_000,
  maxPastAgeMs: 3_600_000,
  maxMetricsPerMessage: 3,
};
/** Skew limits that never bind, to reach the event-time range itself. */
const unbounded: IngestLimits = { ...limits, maxFutureSkewMs: 1e16, maxPastAgeMs: 1e16 };
const MIN_EVENT_MS = 946_684_800_000;
const MAX_EVENT_MS = 7_258_118_400_000;
const text = (s: string) => Buffer.from(s, 'latin1');
const at = (t: number, l = limits) => parsePublish('sensors/dev-1/co2', text(`{"v":400,"t":${t}}`), NOW, l);

describe('ingest limits, exactly on and one past', () => {
  it('payload size', () => {
    const exact = text(`${'0'.repeat(62)}.5`);
    expect(exact.length).toBe(64);
    expect(parsePublish('sensors/dev-1/co2', exact, NOW, limits)).toEqual([
      { deviceId: 'dev-1', metric: 'co2', tsMs: NOW, value: 0.5 },
    ]);
    expect(parsePublish('sensors/dev-1/co2', text(`0${exact.toString()}`), NOW, limits)).toBe('oversize');
  });

  it('metrics per message', () => {
    expect(parsePublish('sensors/dev-1', text('{"a":1,"b":2,"c":3}'), NOW, limits)).toHaveLength(3);
    expect(parsePublish('sensors/dev-1', text('{"a":1,"b":2,"c":3,"d":4}'), NOW, limits)).toBe('oversize');
  });

  it('device clock ahead and behind', () => {
    expect(at(NOW + 300_000)).toEqual([
      { deviceId: 'dev-1', metric: 'co2', tsMs: NOW + 300_000, value: 400, rxMs: NOW },
    ]);
    expect(at(NOW + 300_001)).toBe('future_ts');
    expect(at(NOW - 3_600_000)).toHaveLength(1);
    expect(at(NOW - 3_600_001)).toBe('past_ts');
  });

  it('the event-time range, whatever the skew limits', () => {
    expect(at(MAX_EVENT_MS, unbounded)).toHaveLength(1);
    expect(at(MAX_EVENT_MS + 1, unbounded)).toBe('future_ts');
    expect(at(MIN_EVENT_MS, unbounded)).toHaveLength(1);
    expect(at(MIN_EVENT_MS - 1, unbounded)).toBe('past_ts');
  });

  it('timestamps are rounded to the millisecond before the limits apply', () => {
    expect(at(NOW + 300_000.4)).toEqual([
      { deviceId: 'dev-1', metric: 'co2', tsMs: NOW + 300_000, value: 400, rxMs: NOW },
    ]);
    expect(at(NOW + 300_000.5)).toBe('future_ts');
  });

  it("a metric's range", () => {
    const co2 = (v: number) => parsePublish('sensors/dev-1/co2', text(String(v)), NOW, limits);
    expect(co2(0)).toHaveLength(1);
    expect(co2(50_000)).toHaveLength(1);
    expect(co2(-0.001)).toBe('out_of_range');
    expect(co2(50_000.001)).toBe('out_of_range');
  });

  it('property: a device stamp is accepted exactly within [now - maxPastAge, now + maxFutureSkew]', () => {
    fc.assert(
      fc.property(fc.integer({ min: -3_700_000, max: 400_000 }), (offsetMs) => {
        const result = at(NOW + offsetMs);
        if (offsetMs > 300_000) expect(result).toBe('future_ts');
        else if (offsetMs < -3_600_000) expect(result).toBe('past_ts');
        else
          expect(result).toEqual([
            {
              deviceId: 'dev-1',
              metric: 'co2',
              tsMs: NOW + offsetMs,
              value: 400,
              ...(offsetMs === 0 ? {} : { rxMs: NOW }),
            },
          ]);
      }),
      { seed: 0x15, numRuns: 500 },
    );
  });
});

describe('ingest payload forms at their edges', () => {
  it('reads text with tab, LF and CR as JSON; any other control byte or byte above ~ as CBOR', () => {
    expect(parsePublish('sensors/dev-1/co2', text('\t{"v":7}\r\n'), NOW, limits)).toEqual([
      { deviceId: 'dev-1', metric: 'co2', tsMs: NOW, value: 7 },
    ]);
    expect(parsePublish('sensors/dev-1/co2', text('{"v":7,"x":"~"}'), NOW, limits)).toHaveLength(1);
    // The same JSON behind a byte 0x1f or 0x7f is not text, and not CBOR either.
    expect(parsePublish('sensors/dev-1/co2', text('\x1f{"v":7}'), NOW, limits)).toBe('unparsable');
    expect(parsePublish('sensors/dev-1/co2', text('{"v":7}\x7f'), NOW, limits)).toBe('unparsable');
  });

  it('an empty payload, a null or missing t, a bigint t, and -0', () => {
    expect(parsePublish('sensors/dev-1/co2', new Uint8Array(0), NOW, limits)).toBe('unparsable');
    expect(parsePublish('sensors/dev-1', new Uint8Array(0), NOW, limits)).toBe('unparsable');
    expect(parsePublish('sensors/dev-1/co2', text('{"v":1,"t":null}'), NOW, limits)).toEqual([
      { deviceId: 'dev-1', metric: 'co2', tsMs: NOW, value: 1 },
    ]);
    expect(parsePublish('sensors/dev-1/co2', encode({ v: 1, t: BigInt(NOW - 1) }), NOW, limits)).toEqual([
      { deviceId: 'dev-1', metric: 'co2', tsMs: NOW - 1, value: 1, rxMs: NOW },
    ]);
    expect(parsePublish('sensors/dev-1/co2', encode({ v: 1, t: 'soon' }), NOW, limits)).toBe('unparsable');
    // -0 as text and as JSON (cbor-x writes -0 as the integer 0) is stored as 0.
    for (const payload of [text('-0'), text('{"v":-0}')]) {
      const negativeZero = parsePublish('sensors/dev-1/co2', payload, NOW, limits);
      expect(Array.isArray(negativeZero) && Object.is(negativeZero[0]?.value, 0)).toBe(true);
    }
  });

  it('topics: the root, the device level and the metric level', () => {
    expect(parsePublish('sensors', text('1'), NOW, limits)).toBe('bad_topic');
    expect(parsePublish('sensorsx/dev-1/co2', text('1'), NOW, limits)).toBe('bad_topic');
    expect(parsePublish('sensors/', text('1'), NOW, limits)).toBe('bad_device');
    expect(parsePublish('sensors/dev-1/', text('1'), NOW, limits)).toBe('bad_metric');
    expect(parsePublish('sensors/dev-1/co2/x', text('1'), NOW, limits)).toBe('bad_metric');
    expect(parsePublish('sensors/dev-1', text('[1]'), NOW, limits)).toBe('unparsable');
    expect(parsePublish('sensors/dev-1', text('{}'), NOW, limits)).toBe('unparsable');
    expect(parsePublish('sensors/dev-1', text('{"CO2":1}'), NOW, limits)).toBe('bad_metric');
  });
});
