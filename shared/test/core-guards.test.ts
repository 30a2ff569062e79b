/**
 * What shared-core's mutation run found unpinned: the clocks, the metric catalogue and
 * quantisation, the id guards on non-string input, checker names in parse errors, TypeBox's
 * error limit restored after a full problem listing, topology retention and ordering.
 */

import { Settings } from 'typebox/system';
import { describe, expect, it } from 'vitest';
import {
  alertEventChecker,
  deviceProfileChecker,
  gatewayHealthChecker,
  isGatewayId,
  isRuleId,
  ManualClock,
  METRIC_CATALOG,
  metricSpec,
  quantize,
  readingChecker,
  ruleSetChecker,
  SHARED_TOPICS,
  systemClock,
  topologyFor,
} from '../src/index.ts';

describe('clocks', () => {
  it('systemClock reads the wall clock', () => {
    const before = Date.now();
    const now = systemClock.nowMs();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('ManualClock starts where told (0 by default) and moves only when told', () => {
    expect(new ManualClock().nowMs()).toBe(0);
    const clock = new ManualClock(1000);
    expect(clock.nowMs()).toBe(1000);
    expect(clock.advance(250)).toBe(1250);
    expect(clock.nowMs()).toBe(1250);
    clock.set(10);
    expect(clock.nowMs()).toBe(10);
  });
});

describe('metric catalogue', () => {
  it('declares unit, resolution and plausible range of each well-known metric', () => {
    expect(METRIC_CATALOG).toEqual({
      temperature: { unit: 'degC', decimals: 2, min: -90, max: 150 },
      humidity: { unit: '%RH', decimals: 1, min: 0, max: 100 },
      pressure: { unit: 'hPa', decimals: 1, min: 300, max: 1200 },
      co2: { unit: 'ppm', decimals: 0, min: 0, max: 50_000 },
      vibration_rms: { unit: 'mm/s', decimals: 3, min: 0, max: 1000 },
      battery_v: { unit: 'V', decimals: 3, min: 0, max: 60 },
      door: { unit: 'open', decimals: 0, min: 0, max: 1 },
    });
    expect(Object.isFrozen(METRIC_CATALOG)).toBe(true);
  });

  it('metricSpec finds catalogue entries only, never inherited properties', () => {
    expect(metricSpec('co2')).toBe(METRIC_CATALOG.co2);
    for (const name of ['wind', 'constructor', 'toString', '__proto__'])
      expect(metricSpec(name)).toBeUndefined();
  });

  it('quantize rounds to the declared decimals and leaves float metrics alone', () => {
    expect(quantize(21.456, 2)).toBe(21.46);
    expect(quantize(21.454, 2)).toBe(21.45);
    expect(quantize(400.5, 0)).toBe(401);
    expect(quantize(0.123456, undefined)).toBe(0.123456);
  });
});

describe('id guards take strings only', () => {
  // RegExp.test stringifies its argument: ['gw-1'] would pass a pattern check alone.
  it.each([['gw-1'], { toString: () => 'gw-1' }])('refuses %o as gateway or rule id', (value) => {
    expect(isGatewayId(value)).toBe(false);
    expect(isRuleId(value)).toBe(false);
  });
});

describe('checkers', () => {
  it('name what they validate in parse errors', () => {
    expect(() => readingChecker.parse({})).toThrow(/^invalid reading: /);
    expect(() => alertEventChecker.parse({})).toThrow(/^invalid alert event: /);
    expect(() => ruleSetChecker.parse(7)).toThrow(/^invalid rule set: /);
    expect(() => deviceProfileChecker.parse({})).toThrow(/^invalid device profile: /);
    expect(() => gatewayHealthChecker.parse({})).toThrow(/^invalid gateway health: /);
  });

  it('restore TypeBox’s error limit after listing every problem', () => {
    const before = Settings.Get().maxErrors;
    readingChecker.problems({ deviceId: 1, metric: 2, tsMs: 'x', value: 'y', seq: -1 });
    expect(Settings.Get().maxErrors).toBe(before);
  });
});

describe('gateway health bounds', () => {
  const health = {
    reportedAtMs: 0,
    uptimeS: 0,
    rssBytes: 0,
    clientsConnected: 0,
    outboxRecords: 0,
    outboxBytes: 0,
    oldestUnsentAgeMs: 0,
    evictedReadings: 0,
    rejectedByReason: {},
    rulesVersion: null,
  };

  it('uptime lies in 0..1e10 s', () => {
    expect(gatewayHealthChecker.check(health)).toBe(true);
    expect(gatewayHealthChecker.check({ ...health, uptimeS: 1e10 })).toBe(true);
    expect(gatewayHealthChecker.check({ ...health, uptimeS: -0.5 })).toBe(false);
    expect(gatewayHealthChecker.check({ ...health, uptimeS: 1e10 + 1 })).toBe(false);
  });
});

describe('topology retention and ordering', () => {
  const topology = topologyFor(['gw-a', 'gw-b']);

  it('keeps telemetry, alerts and dead letters 7 days, triage failures 31', () => {
    const { alerts, deadLetters, triageFailures } = SHARED_TOPICS;
    expect(topology.topics).toBe(SHARED_TOPICS);
    for (const topic of [alerts, deadLetters, ...topology.telemetry.map((t) => t.topic)]) {
      expect(topic.messageRetentionSeconds).toBe(604_800);
    }
    expect(triageFailures.messageRetentionSeconds).toBe(2_678_400);
  });

  it('orders delivery to ingest only', () => {
    const ordering = topology.subscriptions.map((s) => [s.name, s.pushTo, s.messageOrdering]);
    expect(ordering).toEqual([
      ['edgeflow-telemetry-gw-a-ingest', 'ingest', true],
      ['edgeflow-telemetry-gw-b-ingest', 'ingest', true],
      ['edgeflow-alerts-notify', 'notify', false],
      ['edgeflow-dead-letters-triage', 'triage', false],
    ]);
  });
});
