/**
 * Over real MQTT/TCP: a one-device transition storm is cut at that device's transition
 * bucket (counted) while another device's alert still arrives; a flood of readings is refused
 * as rate_limited (still PUBACKed); fast-forwarded device stamps cannot step through a hold.
 * The gateway runs on a manual clock, so refills and holds move only when the test says.
 */
import { type AlertEvent, ManualClock } from '@edgeflow/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { nextMessage, startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const T0 = 1_780_000_000_000;
let gw: TestGateway | undefined;

afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

const zeroHold = {
  temperature: [
    {
      id: 'temperature-high',
      kind: 'threshold',
      severity: 'warning',
      direction: 'above',
      threshold: 30,
      clearBand: 1,
      raiseHoldMs: 0,
      clearHoldMs: 0,
    },
  ],
};

describe('per-device fairness over TCP', () => {
  it('bounds and counts one device’s transition storm; another device’s alert still arrives', async () => {
    const clock = new ManualClock(T0);
    gw = await startTestGateway({
      clock,
      accounts: { 'dev-a': 'device', 'dev-b': 'device', 'op-1': 'operator' },
      config: {
        rules: { devices: { 'dev-a': zeroHold }, tickMs: 60_000 },
        fairness: { transitionsPerSec: 1, transitionsBurst: 5 },
      },
    });
    const panel = await gw.connect('op-1');
    const seen: AlertEvent[] = [];
    panel.on('message', (_topic, payload) => seen.push(JSON.parse(payload.toString()) as AlertEvent));
    await panel.subscribeAsync('alerts/#', { qos: 1 });
    const flood = await gw.connect('dev-a');
    const victim = await gw.connect('dev-b');

    // 200 flips around 30 degC with stamps 15 s apart (fast-forwarded: 200 messages in no gateway time).
    const storm = 200;
    for (let i = 0; i < storm; i++) {
      const body = JSON.stringify({ v: i % 2 === 0 ? 35 : 20, t: T0 - 3_600_000 + i * 15_000 });
      await flood.publishAsync('sensors/dev-a/temperature', body, { qos: 1 });
    }
    // Every flip is a transition in the engine; only the burst's raises (and their clears) go out.
    expect(await gw.metric('edgeflow_gateway_alerts_total', { kind: 'raised' })).toBe(5);
    expect(await gw.metric('edgeflow_gateway_alerts_total', { kind: 'cleared' })).toBe(5);
    expect(await gw.metric('edgeflow_gateway_alerts_suppressed_total', { kind: 'raised' })).toBe(95);
    expect(await gw.metric('edgeflow_gateway_alerts_suppressed_total', { kind: 'cleared' })).toBe(95);
    expect(gw.outbox.alerts).toHaveLength(10);
    expect(gw.outbox.readings).toHaveLength(storm);

    // dev-b's stamps also run 20 s apart above the threshold: on its own clock the 10 s hold
    // of temperature-high would be long over, but the gateway's clock has not moved.
    for (let i = 0; i < 5; i++) {
      const body = JSON.stringify({ v: 35, t: T0 - 600_000 + i * 20_000 });
      await victim.publishAsync('sensors/dev-b/temperature', body, { qos: 1 });
    }
    expect(gw.outbox.alerts.filter((a) => a.deviceId === 'dev-b')).toEqual([]);

    // Ten seconds of gateway time later the hold is met: dev-b's alert arrives, although
    // dev-a has exhausted its transition bucket.
    clock.advance(10_000);
    const arrived = nextMessage(panel, 'alerts/dev-b/temperature', 5000);
    await victim.publishAsync('sensors/dev-b/temperature', '36', { qos: 1 });
    const alert = JSON.parse((await arrived).payload.toString()) as AlertEvent;
    expect(alert).toMatchObject({
      kind: 'raised',
      ruleId: 'temperature-high',
      // The episode starts at the first breach's receipt time, not at any device stamp.
      alertId: `dev-b.temperature.temperature-high.${T0}`,
      tsMs: T0 + 10_000,
    });
    // The persisted readings keep the device's stamps.
    const stamped = gw.outbox.readings.filter((r) => r.deviceId === 'dev-b');
    expect(stamped.slice(0, 5).map((r) => [r.tsMs, r.rxMs])).toEqual(
      [0, 1, 2, 3, 4].map((i) => [T0 - 600_000 + i * 20_000, T0]),
    );
    expect(seen.filter((a) => a.deviceId === 'dev-a').length).toBeLessThanOrEqual(10);
  });

  it('refuses a device’s readings beyond its rate as rate_limited (still PUBACKed); others unaffected', async () => {
    const clock = new ManualClock(T0);
    gw = await startTestGateway({
      clock,
      config: { fairness: { readingsPerSec: 10, readingsBurst: 64 } },
    });
    const flood = await gw.connect('dev-a');
    const other = await gw.connect('dev-b');
    // Every publish resolves: a refused reading is acknowledged like any other rejection.
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        flood.publishAsync('sensors/dev-a/co2', String(400 + i), { qos: 1 }),
      ),
    );
    expect(gw.outbox.readings.filter((r) => r.deviceId === 'dev-a')).toHaveLength(64);
    expect(await gw.metric('edgeflow_gateway_readings_rejected_total', { reason: 'rate_limited' })).toBe(36);
    await other.publishAsync('sensors/dev-b/co2', '500', { qos: 1 });
    expect(gw.outbox.readings.filter((r) => r.deviceId === 'dev-b')).toHaveLength(1);
    // 100 ms at 10/s is one more token, exactly.
    clock.advance(100);
    await flood.publishAsync('sensors/dev-a/co2', '401', { qos: 1 });
    await flood.publishAsync('sensors/dev-a/co2', '402', { qos: 1 });
    expect(gw.outbox.readings.filter((r) => r.deviceId === 'dev-a')).toHaveLength(65);
    expect(await gw.metric('edgeflow_gateway_readings_rejected_total', { reason: 'rate_limited' })).toBe(37);
  });

  it('refuses a device’s readings beyond its cap of unsent readings as outbox_quota, until they are sent', async () => {
    gw = await startTestGateway({ config: { fairness: { maxUnsentReadingsPerDevice: 64 } } });
    const flood = await gw.connect('dev-a');
    const other = await gw.connect('dev-b');
    for (let i = 0; i < 80; i++) await flood.publishAsync('sensors/dev-a/co2', String(400 + i), { qos: 1 });
    await other.publishAsync('sensors/dev-b/co2', '500', { qos: 1 });
    expect(gw.outbox.readings.filter((r) => r.deviceId === 'dev-a')).toHaveLength(64);
    expect(gw.outbox.readings.filter((r) => r.deviceId === 'dev-b')).toHaveLength(1);
    expect(await gw.metric('edgeflow_gateway_readings_rejected_total', { reason: 'outbox_quota' })).toBe(16);
    // The uplink acknowledges everything so far: dev-a's cap is free again.
    gw.outbox.acknowledgedSeq = gw.outbox.readings.length;
    await flood.publishAsync('sensors/dev-a/co2', '999', { qos: 1 });
    expect(gw.outbox.readings.at(-1)).toMatchObject({ deviceId: 'dev-a', value: 999 });
  });
});
