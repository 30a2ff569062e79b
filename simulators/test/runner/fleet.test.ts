import { afterEach, describe, expect, it } from 'vitest';
import { runFleet } from '../../src/runner/fleet.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import { startBroker, type TestBroker } from '../helpers/aedes.ts';

let broker: TestBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

describe('runFleet against a real aedes broker on loopback', () => {
  it('offers devices x rate readings per second within 2%, all acknowledged (QoS 1)', async () => {
    broker = await startBroker();
    // 5 s: the 2% budget (100 ms) absorbs a late final wake-up on a busy machine.
    const summary = await runFleet({
      brokerUrl: broker.url,
      devices: 200,
      rate: 5,
      durationMs: 5000,
      qos: 1,
      seed: 1,
    });
    expect(summary.connected).toBe(200);
    expect(summary.offered).toBe(5000);
    expect(summary.offeredRatePerS / summary.targetRatePerS).toBeGreaterThan(0.98);
    expect(summary.offeredRatePerS / summary.targetRatePerS).toBeLessThan(1.02);
    expect(summary.failed).toBe(0);
    expect(summary.sent).toBe(5000);
    expect(summary.acked).toBe(5000);
    expect(broker.stats.publishes).toBe(5000);
    expect(summary.disconnects).toBe(0);
  }, 30_000);

  it('keeps at most maxInFlight unacknowledged QoS 1 publishes per connection and counts the rest', async () => {
    const held: (() => void)[] = [];
    broker = await startBroker({
      authorizePublish: (_client, _packet, callback) => {
        held.push(() => callback(null));
      },
    });
    // No PUBACK comes back until the schedule is over, so each connection fills its window and stops.
    setTimeout(() => {
      for (const release of held.splice(0)) release();
    }, 1800).unref();
    const summary = await runFleet({
      brokerUrl: broker.url,
      devices: 5,
      rate: 20,
      durationMs: 1000,
      qos: 1,
      maxInFlight: 3,
      drainTimeoutMs: 5000,
    });
    expect(summary.offered).toBe(100);
    expect(summary.sent).toBe(5 * 3);
    expect(summary.failedBy.windowFull).toBe(100 - 15);
    expect(summary.acked).toBe(15);
  }, 30_000);

  it('counts refused connections, retries them with backoff and runs on', async () => {
    const attempts = new Map<string, number>();
    broker = await startBroker({
      authenticate: (client, _user, _password, done) => {
        const n = (attempts.get(client.id) ?? 0) + 1;
        attempts.set(client.id, n);
        if (n === 1) done(Object.assign(new Error('not yet'), { returnCode: 5 as const }), false);
        else done(null, true);
      },
    });
    const summary = await runFleet({ brokerUrl: broker.url, devices: 10, rate: 2, durationMs: 1000, qos: 1 });
    expect(summary.refusals).toBe(10);
    expect(summary.connects).toBe(10);
    expect(summary.connected).toBe(10);
    expect(summary.acked).toBe(20);
  }, 30_000);

  it('plays a reconnect storm: cuts every connection, sends nothing while down, reconnects', async () => {
    broker = await startBroker();
    const scenario = parseScenario(
      {
        name: 'mini-storm',
        description: 'storm',
        run: { devices: 10, rate: 10, duration: '3s' },
        rules: 'default',
        events: [{ kind: 'reconnect_storm', devices: 'all', at: '1s', until: '1500ms' }],
        expect: { alerts: [], rejections: [] },
      },
      'inline',
    );
    const summary = await runFleet({ brokerUrl: broker.url, scenario, qos: 1 });
    expect(summary.offered).toBe(300);
    expect(summary.silencedByDesign).toBe(50);
    expect(summary.disconnects).toBe(10);
    expect(summary.connects).toBe(20);
    expect(summary.connected).toBe(10);
    // Backoff after the hold delays some reconnects: those readings fail as offline, the rest arrive.
    expect(summary.sent + summary.failedBy.offline).toBe(250);
    expect(summary.failedBy.offline).toBeLessThan(60);
    // A publish written just before the cut may or may not have reached the broker.
    expect(broker.stats.publishes).toBeLessThanOrEqual(summary.sent);
    expect(broker.stats.publishes).toBeGreaterThanOrEqual(summary.acked);
  }, 30_000);

  it('sends malformed and duplicate readings by design and counts them', async () => {
    broker = await startBroker();
    const scenario = parseScenario(
      {
        name: 'mini-bad',
        description: 'bad',
        run: { devices: 4, rate: 10, duration: '2s' },
        rules: 'default',
        events: [
          {
            kind: 'malformed',
            devices: [0],
            every: 2,
            variants: ['broken_json', 'bad_metric'],
            at: '0s',
            until: '1s',
          },
          { kind: 'duplicate', devices: [1], every: 5, at: '0s', until: '2s' },
        ],
        expect: {
          alerts: [],
          rejections: [
            { reason: 'unparsable', count: 3 },
            { reason: 'bad_metric', count: 2 },
          ],
        },
      },
      'inline',
    );
    const topics: string[] = [];
    broker.aedes.on('publish', (packet, client) => {
      if (client) topics.push(packet.topic);
    });
    const summary = await runFleet({ brokerUrl: broker.url, scenario, qos: 1 });
    expect(summary.rejectedByDesign).toEqual({ unparsable: 3, bad_metric: 2 });
    expect(summary.duplicatesByDesign).toBe(4);
    expect(summary.sent).toBe(80 + 4);
    expect(topics.filter((t) => t.endsWith('/Bad-Metric'))).toHaveLength(2);
  }, 30_000);

  it('stops early when aborted and says so', async () => {
    broker = await startBroker();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500).unref();
    const summary = await runFleet(
      { brokerUrl: broker.url, devices: 5, rate: 10, durationMs: 60_000 },
      { signal: controller.signal },
    );
    expect(summary.aborted).toBe(true);
    expect(summary.offered).toBeLessThan(100);
  }, 30_000);
});
