/**
 * Local equals cloud with device-stamped readings: the gateway parses them (receipt time
 * kept as rxMs), its rule engine times holds on rxMs, the batch carries rxMs, and the cloud's
 * rule step derives the same transitions with the same alert ids.
 */
import {
  type AlertEvent,
  DEFAULT_RULES,
  decodeBatch,
  encodeBatch,
  type Reading,
  RuleEngine,
  rulesFor,
} from '@edgeflow/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sharedRuleStepper } from '../../../src/functions/ingest/rules.ts';
import { applyToShard, type ShardDoc } from '../../../src/functions/ingest/shard.ts';

const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);

function edgeTransitions(readings: readonly Reading[]): AlertEvent[] {
  const engine = new RuleEngine({
    rulesFor: (_device, metric) => rulesFor(DEFAULT_RULES, undefined, metric),
    source: 'edge',
    gatewayId: 'gw-1',
  });
  return readings.flatMap((r) => engine.onReading(r));
}

function cloudTransitions(readings: readonly Reading[]): AlertEvent[] {
  const decoded = decodeBatch(
    encodeBatch({ gatewayId: 'gw-1', createdAtMs: T0, readings: [...readings], alerts: [] }),
  ).readings;
  const out = applyToShard(
    undefined as ShardDoc | undefined,
    {
      gatewayId: 'gw-1',
      shard: 0,
      firstSeq: decoded[0]?.seq ?? 0,
      lastSeq: decoded.at(-1)?.seq ?? 0,
      series: [{ deviceId: 'dev-a', metric: 'temperature', profile: undefined, readings: decoded }],
    },
    sharedRuleStepper(),
  );
  return out.result;
}

const key = (e: AlertEvent) => `${e.kind}:${e.alertId}:${e.tsMs}`;

describe('rule time travels in the batch', () => {
  it('a device cannot fast-forward a hold; edge and cloud agree on the (absent) transitions', () => {
    // 200 messages in 200 ms of gateway time, each stamped 10 s after the previous one and
    // flipping around temperature-high (30 degC, 10 s holds): on device time, 100 raise/clear pairs.
    const readings: Reading[] = Array.from({ length: 200 }, (_, i) => ({
      deviceId: 'dev-a',
      metric: 'temperature',
      tsMs: T0 - 3_600_000 + i * 20_000,
      value: Math.floor(i / 2) % 2 === 0 ? 35 : 20,
      seq: i,
      rxMs: T0 + i,
    }));
    expect(edgeTransitions(readings)).toEqual([]);
    expect(cloudTransitions(readings)).toEqual([]);
    // Without receipt times (the old behaviour) the same messages step through every hold.
    const deviceTimed = readings.map(({ rxMs: _rx, ...r }) => r);
    expect(edgeTransitions(deviceTimed).length).toBeGreaterThanOrEqual(90);
  });

  it('holds run on gateway time: edge and cloud raise the same episode id (property)', () => {
    let withTransitions = 0;
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            rxStepMs: fc.integer({ min: 0, max: 4000 }),
            skewMs: fc.integer({ min: -600_000, max: 300_000 }),
            // Mostly above 30 degC, so runs long enough to pass the 10 s holds occur.
            value: fc.oneof(
              { arbitrary: fc.constantFrom(31, 45), weight: 5 },
              { arbitrary: fc.constantFrom(20, 29.5), weight: 1 },
            ),
          }),
          { minLength: 1, maxLength: 80 },
        ),
        (steps) => {
          let rxMs = T0;
          const readings: Reading[] = steps.map((s, seq) => {
            rxMs += s.rxStepMs;
            const r: Reading = {
              deviceId: 'dev-a',
              metric: 'temperature',
              tsMs: rxMs + s.skewMs,
              value: s.value,
              seq,
            };
            if (s.skewMs !== 0) r.rxMs = rxMs;
            return r;
          });
          const edge = edgeTransitions(readings);
          if (edge.length > 0) withTransitions++;
          expect(cloudTransitions(readings).map(key)).toEqual(edge.map(key));
          // Every episode is named by a gateway time, never by a device stamp.
          for (const e of edge) {
            const start = Number(e.alertId.split('.').at(-1));
            expect(start).toBeGreaterThanOrEqual(T0);
            expect(start).toBeLessThanOrEqual(rxMs + 1);
          }
        },
      ),
      { seed: 3, numRuns: 150 },
    );
    expect(withTransitions).toBeGreaterThan(30);
  });
});
