/**
 * Every shipped scenario through the real pipeline at once: simulator -> gateway (MQTT,
 * auth, rules, outbox) -> Pub/Sub emulator -> functions (functions-framework) -> Firestore
 * emulator -> webhook sink. Scenarios run at 1/10 time (same readings, same alerts, ten
 * times the rate), each on its own slice of the fleet with its own rules.
 */
import { loadScenario, scaleScenario, shippedScenarios } from '@edgeflow/simulators';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { type RunSummary, runScenarios } from '../src/run.ts';

const TIME_SCALE = 0.1;
const scenarios = shippedScenarios().map((name) => scaleScenario(loadScenario(name), TIME_SCALE));

describe('shipped scenarios through the local pipeline', () => {
  let summary: RunSummary;

  beforeAll(async () => {
    summary = await runScenarios({
      runs: scenarios.map((scenario) => ({ scenario })),
      seed: 42,
      lingerMs: 2000,
      logger: pino({ level: 'warn' }),
    });
  }, 240_000);

  it('runs every shipped scenario, the five required among them', () => {
    const names = summary.scenarios.map((s) => s.scenario.split('@')[0]);
    expect(names).toEqual(expect.arrayContaining(['steady', 'heatwave', 'flapping', 'dropout', 'bad-input']));
    expect(names).toHaveLength(scenarios.length);
  });

  it.each(scenarios.map((s) => s.name))('%s: expected alerts arrive, unexpected ones never', (name) => {
    const verdict = summary.scenarios.find((s) => s.scenario === name);
    expect(verdict?.expectedMissed).toEqual([]);
    expect(verdict?.unexpected).toEqual([]);
  });

  it('persists every accepted reading exactly once: acknowledged minus the expected rejections', () => {
    const r = summary.readings;
    const rejected = Object.values(r.rejected).reduce((a, b) => a + b, 0);
    expect(summary.rejectionMismatches).toEqual([]);
    // Every acknowledged reading was accepted or rejected on purpose. A reading can also be
    // accepted without its PUBACK reaching the device (the reconnect storm cuts connections):
    // the device counts it as failed, the pipeline still keeps it.
    // The copies a device sends (bad-input's `duplicate` event, resends after a cut) are
    // acknowledged and dropped by the gateway, counted by reason: every copy by design is
    // among them (same device time and value).
    const dropped = Object.values(r.duplicatesDropped).reduce((a, b) => a + b, 0);
    expect(r.duplicatesByDesign).toBeGreaterThan(0);
    expect(r.duplicatesDropped.same_reading ?? 0).toBeGreaterThanOrEqual(r.duplicatesByDesign);
    expect(r.accepted).toBeGreaterThanOrEqual(r.acknowledged - rejected - dropped);
    expect(r.accepted).toBeLessThanOrEqual(r.acknowledged - rejected + r.failedToSend);
    expect(r.persisted).toBe(r.accepted);
    expect(r.lost).toBe(0);
    expect(r.duplicated).toBe(0);
  });

  it('records each alert once and delivers each transition to the webhook exactly once', () => {
    const a = summary.alerts;
    expect(a.raised).toBeGreaterThan(0);
    expect(a.undelivered).toEqual([]);
    expect(a.unrecordedDeliveries).toEqual([]);
    expect(a.repeatedDeliveries).toBe(0);
    expect(a.delivered).toBe(a.raised + a.cleared);
  });

  it('reaches the first persisted reading quickly after start-up', () => {
    expect(summary.startup.firstPersistedMs).not.toBeNull();
  });
});
