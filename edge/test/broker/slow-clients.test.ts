/**
 * The scenario, scaled for CI: an operator subscribed to sensors/# stops reading
 * while 10 devices publish QoS 1 as fast as their in-flight window allows. Ingest must keep
 * going, the broker's per-client backlog must stay within its bounds (no growth in
 * mqemitter's queue, socket buffer capped), the slow client must be dropped and counted,
 * and its disconnect must not crash anything.
 */
import type { Client } from 'aedes';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { sleep, startTestGateway, type TestGateway } from '../helpers/gateway.ts';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

const PUBLISHERS = 10;
const PER_PUBLISHER = 1500;
const WINDOW = 50;
const slowClient = { maxQueuedMessages: 200, maxBufferedBytes: 256 * 1024, undrainedTimeoutMs: 300 };

/** ~700 bytes: 30 metrics in one message, so the slow socket's buffers fill quickly. */
function payload(i: number): string {
  const body: Record<string, number> = {};
  for (let m = 0; m < 30; m++) body[`metric_${m}`] = i + m / 100;
  return JSON.stringify(body);
}

async function publishAll(client: MqttClient, deviceId: string): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < PER_PUBLISHER) {
      const i = next++;
      await client.publishAsync(`sensors/${deviceId}`, payload(i), { qos: 1 });
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, lane));
}

describe('slow subscribers never hurt ingest', () => {
  it('keeps ingesting, bounds the backlog, drops and counts the slow client, survives its disconnect', async () => {
    const accounts: Record<string, 'device' | 'operator'> = { 'op-slow': 'operator', 'op-fast': 'operator' };
    for (let p = 0; p < PUBLISHERS; p++) accounts[`dev-${p}`] = 'device';
    gw = await startTestGateway({
      accounts,
      config: {
        mqtt: { host: '127.0.0.1', port: 0, slowClient },
        // Each publisher sends as fast as it can, far past the per-device default: this test is
        // about slow subscribers, so the per-device reading limit stays out of its way.
        fairness: { readingsPerSec: 1_000_000, readingsBurst: 1_000_000 },
      },
    });
    const aedes = gw.gateway.broker.aedes as unknown as {
      clients: Record<string, Client & { conn: { writableLength: number } }>;
      mq: { length: number };
    };

    // A healthy reader under the same load, to show the bounds never hit it.
    const fast = await gw.connect('op-fast');
    await fast.subscribeAsync('sensors/#', { qos: 1 });
    let fastReceived = 0;
    fast.on('message', () => fastReceived++);
    const slow = await gw.connect('op-slow');
    await slow.subscribeAsync('sensors/#', { qos: 1 });
    // Stop reading at the TCP level: the kernel buffers fill, then the broker's writes back up.
    (slow.stream as unknown as { pause(): void }).pause();
    let slowDisconnected = false;
    gw.gateway.broker.aedes.on('clientDisconnect', (client) => {
      if (client.id === 'op-slow') slowDisconnected = true;
    });

    // Measure the backlog exactly: after every write the broker makes to the slow socket.
    let maxSocketBytes = 0;
    const serverSide = aedes.clients['op-slow']?.conn as unknown as {
      writableLength: number;
      write: (...args: unknown[]) => boolean;
    };
    expect(serverSide).toBeDefined();
    const write = serverSide.write;
    serverSide.write = function (this: unknown, ...args: unknown[]) {
      const result = write.apply(this, args);
      maxSocketBytes = Math.max(maxSocketBytes, serverSide.writableLength);
      return result;
    };
    let maxQueued = 0;
    const sampler = setInterval(() => {
      maxQueued = Math.max(maxQueued, aedes.mq.length);
    }, 5);

    const publishers = await Promise.all(
      Array.from({ length: PUBLISHERS }, (_, p) => gw?.connect(`dev-${p}`) as Promise<MqttClient>),
    );
    const started = performance.now();
    await Promise.all(publishers.map((client, p) => publishAll(client, `dev-${p}`)));
    const elapsedMs = performance.now() - started;
    clearInterval(sampler);

    // Ingest kept going: every publish was acknowledged and stored.
    expect(gw.outbox.readings).toHaveLength(PUBLISHERS * PER_PUBLISHER * 30);
    // The slow client was dropped (counted), and its backlog never exceeded the bounds.
    for (let i = 0; i < 100 && !slowDisconnected; i++) await sleep(20);
    expect(slowDisconnected).toBe(true);
    expect(await gw.metric('edgeflow_gateway_slow_client_drops_total')).toBe(1);
    expect(await gw.metric('edgeflow_gateway_subscriber_messages_dropped_total')).toBeGreaterThan(0);
    expect(maxQueued).toBeLessThanOrEqual(1);
    // Deliveries are refused once the backed-up socket holds maxBufferedBytes; what was
    // already scheduled (at most maxQueuedMessages) may still land on top.
    expect(maxSocketBytes).toBeLessThanOrEqual(
      slowClient.maxBufferedBytes + slowClient.maxQueuedMessages * 1024,
    );

    // The healthy reader got everything and was never dropped.
    for (let i = 0; i < 200 && fastReceived < PUBLISHERS * PER_PUBLISHER; i++) await sleep(20);
    expect(fastReceived).toBe(PUBLISHERS * PER_PUBLISHER);
    expect(fast.connected).toBe(true);

    // The broker is healthy after the disconnect: a new subscriber gets live data.
    const watcher = await gw.connect('op-slow');
    await watcher.subscribeAsync('sensors/#');
    const seen = new Promise<string>((resolve) => watcher.once('message', (topic) => resolve(topic)));
    await publishers[0]?.publishAsync('sensors/dev-0/temperature', '21', { qos: 1 });
    expect(await seen).toBe('sensors/dev-0/temperature');
    console.info(
      `slow-subscriber scenario: ${PUBLISHERS * PER_PUBLISHER} publishes in ${elapsedMs.toFixed(0)} ms, ` +
        `max socket backlog ${maxSocketBytes} B, max emitter queue ${maxQueued}`,
    );
  }, 60_000);
});
