import { readingChecker } from '@edgeflow/shared';
import { encode } from 'cbor-x';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type IngestLimits, parsePublish, REJECT_REASONS } from '../../src/ingest/parse.ts';

const NOW = 1_780_000_000_000;
const limits: IngestLimits = {
  maxPayloadBytes: 4096,
  maxFutureSkewMs: 300_000,
  maxPastAgeMs: 7 * 24 * 3_600_000,
  maxMetricsPerMessage: 64,
};
const text = (s: string) => Buffer.from(s);

describe('parsePublish: accepted shapes', () => {
  it('bare number, receipt time stamped', () => {
    expect(parsePublish('sensors/dev-1/temperature', text(' 21.5 '), NOW, limits)).toEqual([
      { deviceId: 'dev-1', metric: 'temperature', tsMs: NOW, value: 21.5 },
    ]);
  });

  it('JSON {v,t} with and without t', () => {
    expect(parsePublish('sensors/dev-1/co2', text(`{"v":812,"t":${NOW - 1000}}`), NOW, limits)).toEqual([
      { deviceId: 'dev-1', metric: 'co2', tsMs: NOW - 1000, value: 812, rxMs: NOW },
    ]);
    expect(parsePublish('sensors/dev-1/co2', text('{"v":812}'), NOW, limits)).toEqual([
      { deviceId: 'dev-1', metric: 'co2', tsMs: NOW, value: 812 },
    ]);
  });

  it('CBOR number and CBOR {v,t}', () => {
    expect(parsePublish('sensors/dev-1/pressure', encode(1013.25), NOW, limits)).toEqual([
      { deviceId: 'dev-1', metric: 'pressure', tsMs: NOW, value: 1013.25 },
    ]);
    expect(parsePublish('sensors/dev-1/pressure', encode({ v: 1000.5, t: NOW - 5 }), NOW, limits)).toEqual([
      { deviceId: 'dev-1', metric: 'pressure', tsMs: NOW - 5, value: 1000.5, rxMs: NOW },
    ]);
  });

  it('multi-metric objects, JSON and CBOR, each a number or {v,t}', () => {
    const body = { temperature: 21.5, humidity: { v: 40, t: NOW - 10 } };
    const expected = [
      { deviceId: 'dev-1', metric: 'temperature', tsMs: NOW, value: 21.5 },
      { deviceId: 'dev-1', metric: 'humidity', tsMs: NOW - 10, value: 40, rxMs: NOW },
    ];
    expect(parsePublish('sensors/dev-1', text(JSON.stringify(body)), NOW, limits)).toEqual(expected);
    expect(parsePublish('sensors/dev-1', encode(body), NOW, limits)).toEqual(expected);
  });

  it('metrics outside the catalogue are accepted as floats', () => {
    expect(parsePublish('sensors/dev-1/flow_rate', text('-3.25e2'), NOW, limits)).toEqual([
      { deviceId: 'dev-1', metric: 'flow_rate', tsMs: NOW, value: -325 },
    ]);
  });
});

describe('parsePublish: rejection reasons', () => {
  it.each([
    ['commands/dev-1/x', '1', 'bad_topic'],
    ['sensors/', '1', 'bad_device'],
    ['sensors/dev.1/temperature', '1', 'bad_device'],
    ['sensors/dev-1/Temperature', '1', 'bad_metric'],
    ['sensors/dev-1/temperature/extra', '1', 'bad_metric'],
    ['sensors/dev-1', '{"__proto__":1}', 'bad_metric'],
    ['sensors/dev-1/temperature', '', 'unparsable'],
    ['sensors/dev-1/temperature', 'hot', 'unparsable'],
    ['sensors/dev-1/temperature', '{"v":"21"}', 'unparsable'],
    ['sensors/dev-1/temperature', '{"v":21,"t":"yesterday"}', 'unparsable'],
    ['sensors/dev-1', '[1,2]', 'unparsable'],
    ['sensors/dev-1', '{}', 'unparsable'],
    ['sensors/dev-1', '21', 'unparsable'],
    ['sensors/dev-1/temperature', 'NaN', 'non_finite'],
    ['sensors/dev-1/temperature', '-Infinity', 'non_finite'],
    ['sensors/dev-1/temperature', '1e999', 'non_finite'],
    ['sensors/dev-1/humidity', '101', 'out_of_range'],
    ['sensors/dev-1/temperature', `{"v":1,"t":${NOW + 300_001}}`, 'future_ts'],
    ['sensors/dev-1/temperature', `{"v":1,"t":${NOW - 8 * 24 * 3_600_000}}`, 'past_ts'],
    ['sensors/dev-1/temperature', '{"v":1,"t":0}', 'past_ts'],
  ])('%s %s -> %s', (topic, payload, reason) => {
    expect(parsePublish(topic, text(payload), NOW, limits)).toBe(reason);
  });

  it('oversize payloads and too many metrics', () => {
    expect(parsePublish('sensors/dev-1/temperature', Buffer.alloc(4097, 0x31), NOW, limits)).toBe('oversize');
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`m${i}`, i]));
    expect(parsePublish('sensors/dev-1', text(JSON.stringify(many)), NOW, limits)).toBe('oversize');
  });

  it('a message is refused whole when one of its metrics is bad', () => {
    expect(parsePublish('sensors/dev-1', text('{"temperature":20,"humidity":500}'), NOW, limits)).toBe(
      'out_of_range',
    );
  });

  it('CBOR NaN, infinity and garbage', () => {
    expect(parsePublish('sensors/dev-1/temperature', encode(Number.NaN), NOW, limits)).toBe('non_finite');
    expect(
      parsePublish('sensors/dev-1/temperature', encode({ v: Number.POSITIVE_INFINITY }), NOW, limits),
    ).toBe('non_finite');
    expect(parsePublish('sensors/dev-1/temperature', Buffer.from([0xff, 0x00, 0x9f]), NOW, limits)).toBe(
      'unparsable',
    );
  });
});

describe('parsePublish: properties', () => {
  const reasons = new Set<string>(REJECT_REASONS);
  const metricArb = fc.oneof(
    { arbitrary: fc.constantFrom('temperature', 'humidity', 'co2', 'door', 'flow_rate'), weight: 3 },
    fc.string({ maxLength: 40 }),
  );
  const deviceArb = fc.oneof(
    { arbitrary: fc.constantFrom('dev-1', 'A', 'x_y-9'), weight: 3 },
    fc.string({ maxLength: 70 }),
  );
  const topicArb = fc.oneof(
    { arbitrary: fc.tuple(deviceArb, metricArb).map(([d, m]) => `sensors/${d}/${m}`), weight: 3 },
    { arbitrary: deviceArb.map((d) => `sensors/${d}`), weight: 2 },
    fc.string({ maxLength: 80 }),
  );
  const valueArb = fc.oneof(
    { arbitrary: fc.double({ min: 0, max: 1, noNaN: true }), weight: 3 },
    fc.double(),
    fc.integer(),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 1e308),
  );
  const tsArb = fc.oneof(
    fc.constant(undefined),
    fc.integer({ min: NOW - 10 ** 10, max: NOW + 10 ** 9 }),
    fc.double(),
  );
  const entryArb = fc.oneof(
    valueArb,
    fc.record({ v: valueArb, t: tsArb }, { requiredKeys: ['v'] }),
    fc.anything({ maxDepth: 2 }),
  );
  const structuredArb = fc.oneof(entryArb, fc.dictionary(metricArb, entryArb, { maxKeys: 70 }));
  const payloadArb = fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    valueArb.map((v) => text(String(v))),
    structuredArb.map((v) => text(JSON.stringify(v) ?? '')),
    structuredArb.map((v) => {
      try {
        return encode(v);
      } catch {
        return Buffer.alloc(0);
      }
    }),
    fc.string({ maxLength: 200 }).map(text),
  );

  it('never throws; returns valid readings (schema-checked once sequenced) or a known reason', () => {
    let accepted = 0;
    fc.assert(
      fc.property(topicArb, payloadArb, (topic, payload) => {
        const result = parsePublish(topic, payload, NOW, limits);
        if (typeof result === 'string') {
          expect(reasons.has(result)).toBe(true);
          return;
        }
        accepted++;
        expect(result.length).toBeGreaterThan(0);
        expect(result.length).toBeLessThanOrEqual(limits.maxMetricsPerMessage);
        for (const reading of result) {
          expect(readingChecker.problems({ ...reading, seq: 0 })).toEqual([]);
          expect(topic.startsWith(`sensors/${reading.deviceId}`)).toBe(true);
        }
      }),
      { seed: 20261123, numRuns: 3000 },
    );
    // The generators must reach the accepting paths too, not only rejections.
    expect(accepted).toBeGreaterThan(150);
  });

  it('any in-range number round-trips through text, JSON and CBOR', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -90, max: 150, noNaN: true }),
        fc.integer({ min: NOW - 1000, max: NOW }),
        (value, t) => {
          // A device-stamped reading carries its receipt time when the two differ.
          const expected = [
            {
              deviceId: 'dev-1',
              metric: 'temperature',
              tsMs: t,
              value: value === 0 ? 0 : value,
              ...(t === NOW ? {} : { rxMs: NOW }),
            },
          ];
          expect(
            parsePublish('sensors/dev-1/temperature', text(JSON.stringify({ v: value, t })), NOW, limits),
          ).toEqual(expected);
          expect(parsePublish('sensors/dev-1/temperature', encode({ v: value, t }), NOW, limits)).toEqual(
            expected,
          );
          expect(parsePublish('sensors/dev-1/temperature', text(String(value)), NOW, limits)).toEqual([
            { deviceId: 'dev-1', metric: 'temperature', tsMs: NOW, value: value === 0 ? 0 : value },
          ]);
        },
      ),
      { seed: 7, numRuns: 500 },
    );
  });
});
