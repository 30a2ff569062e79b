/**
 * Durability: the real gateway (child process) is killed with SIGKILL at seeded random
 * moments while devices publish QoS 1 readings, then restarted. At the end every reading
 * the gateway PUBACKed must have reached Pub/Sub (the emulator), gateway sequence numbers
 * must have no gaps, no seq may carry two different readings, and duplicates may only be
 * whole batches sent again.
 *
 * EDGEFLOW_DURABILITY_ITERATIONS (default 3; `npm run test:durability` runs 25) sets how many
 * independent runs (each with KILLS kill -9 cycles) are made; the seed of each is printed.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Reading, telemetryTopicName } from '@edgeflow/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PROJECT_ID,
  type Received,
  startEmulator,
  topicWithSubscription,
} from '../forwarder/support/emulator.ts';
import { writeTestRegistry } from '../helpers/gateway.ts';
import { tempDir } from '../outbox/support.ts';
import { type GatewayProcess, seededRandom, startGatewayProcess } from './support/gateway-process.ts';

const ITERATIONS = Math.max(1, Number(process.env.EDGEFLOW_DURABILITY_ITERATIONS ?? 3));
const KILLS = 3;
const DEVICES = ['dev-0', 'dev-1', 'dev-2', 'dev-3'];
/** QoS 1 publishes in flight per device. */
const WINDOW = 20;
const BASE_SEED = 20_261_123;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const keyOf = (r: { deviceId: string; tsMs: number }) => `${r.deviceId}|${r.tsMs}`;

let emulator: Awaited<ReturnType<typeof startEmulator>>;
beforeAll(async () => {
  emulator = await startEmulator();
}, 90_000);
afterAll(async () => {
  await emulator?.stop();
});

interface Publisher {
  /** Stops issuing new publishes; resolves when every issued one settled or timeoutMs passed. */
  stop(timeoutMs: number): Promise<void>;
  end(): Promise<void>;
}

/** Each device publishes distinct readings with WINDOW QoS 1 publishes in flight; PUBACKed ones go to `acked`. */
async function startPublishing(
  url: string,
  secrets: Record<string, string>,
  nextIndex: { value: number },
  baseMs: number,
  acked: Map<string, Omit<Reading, 'seq'>>,
): Promise<Publisher> {
  let running = true;
  let inflight = 0;
  let settled: (() => void) | undefined;
  const clients: MqttClient[] = [];
  for (const deviceId of DEVICES) {
    const client = await mqtt.connectAsync(url, {
      username: deviceId,
      password: secrets[deviceId],
      clientId: deviceId,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });
    client.on('error', () => {});
    clients.push(client);
    let mine = 0;
    const pump = () => {
      while (running && mine < WINDOW) {
        const index = nextIndex.value++;
        const reading = {
          deviceId,
          metric: 'temperature',
          tsMs: baseMs + index,
          value: ((index % 12_000) - 4000) / 100,
        };
        mine++;
        inflight++;
        client.publish(
          `sensors/${deviceId}/temperature`,
          JSON.stringify({ v: reading.value, t: reading.tsMs }),
          { qos: 1 },
          (err) => {
            mine--;
            inflight--;
            if (!err) acked.set(keyOf(reading), reading);
            if (inflight === 0) settled?.();
            if (running && !err) setImmediate(pump);
          },
        );
      }
    };
    pump();
  }
  return {
    async stop(timeoutMs) {
      running = false;
      if (inflight > 0) {
        await Promise.race([new Promise<void>((r) => (settled = r)), sleep(timeoutMs)]);
      }
    },
    async end() {
      running = false;
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    },
  };
}

function checkDelivery(received: readonly Received[], acked: ReadonlyMap<string, Omit<Reading, 'seq'>>) {
  const bySeq = new Map<number, Reading>();
  const seqOfKey = new Map<string, number>();
  for (const m of received) {
    for (const r of m.batch.readings) {
      const seen = bySeq.get(r.seq);
      // A seq never names two different readings (no reuse of an acknowledged seq).
      if (seen) expect(seen).toEqual(r);
      bySeq.set(r.seq, r);
      seqOfKey.set(keyOf(r), r.seq);
    }
  }
  const missing = [...acked.values()].filter((r) => {
    const seq = seqOfKey.get(keyOf(r));
    return seq === undefined || bySeq.get(seq)?.value !== r.value || bySeq.get(seq)?.metric !== r.metric;
  });
  expect(missing, 'PUBACKed readings missing upstream').toEqual([]);
  // No gaps: every seq up to the highest one sent arrived.
  const maxSeq = Math.max(-1, ...bySeq.keys());
  expect(bySeq.size, 'gateway seqs have gaps').toBe(maxSeq + 1);
  // Duplicates only as whole batches: same first seq => same batch; distinct batches never overlap.
  const batches = new Map<number, Reading[]>();
  for (const m of received) {
    const readings = m.batch.readings;
    if (readings.length === 0) continue;
    const first = readings[0]?.seq as number;
    const seen = batches.get(first);
    if (seen) expect(readings, `batch at seq ${first} resent with different content`).toEqual(seen);
    batches.set(first, readings);
  }
  const ranges = [...batches.values()]
    .map((rs) => [rs[0]?.seq as number, rs.at(-1)?.seq as number] as const)
    .sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    expect(ranges[i]?.[0], 'batches overlap without being the same batch').toBe(
      (ranges[i - 1]?.[1] as number) + 1,
    );
  }
  return { readings: bySeq.size, messages: received.length, batches: batches.size };
}

describe('gateway durability under kill -9', () => {
  for (let iteration = 0; iteration < ITERATIONS; iteration++) {
    const seed = BASE_SEED + iteration;
    it(`loses no PUBACKed reading across ${KILLS} kill -9 restarts (seed ${seed})`, async () => {
      const random = seededRandom(seed);
      const { dir, cleanup } = await tempDir('edgeflow-kill9-');
      // A gateway of its own per run: its topic is derived from its id.
      const gatewayId = `gw-kill9-${seed}-${Date.now()}`;
      const topicName = telemetryTopicName(gatewayId);
      const sub = await topicWithSubscription(emulator.host, topicName);
      const registryFile = join(dir, 'devices.json');
      const secrets = await writeTestRegistry(
        registryFile,
        Object.fromEntries(DEVICES.map((d) => [d, 'device'])),
      );
      const configPath = join(dir, 'gateway.json');
      await writeFile(
        configPath,
        JSON.stringify({
          gatewayId,
          logLevel: 'warn',
          registryFile,
          mqtt: { host: '127.0.0.1', port: 0 },
          http: { host: '127.0.0.1', port: 0 },
          // Small segments: kills also land on segment roll-over and on deletion of acknowledged ones.
          outbox: { dir: join(dir, 'outbox'), segmentBytes: 64 * 1024 },
          forwarder: {
            projectId: PROJECT_ID,
            topic: topicName,
            lingerMs: 50,
            maxBatchReadings: 100,
            maxInFlightBatches: 4,
            publishTimeoutMs: 5000,
            backoff: { initialMs: 100, maxMs: 1000 },
          },
        }),
      );
      const env = { PUBSUB_EMULATOR_HOST: emulator.host };
      const acked = new Map<string, Omit<Reading, 'seq'>>();
      const nextIndex = { value: 0 };
      const baseMs = Date.now() - 3_600_000;
      let gateway: GatewayProcess | undefined;
      try {
        for (let cycle = 0; cycle <= KILLS; cycle++) {
          gateway = await startGatewayProcess(configPath, env);
          const publisher = await startPublishing(gateway.url, secrets, nextIndex, baseMs, acked);
          await sleep(100 + Math.floor(random() * 1200));
          if (cycle < KILLS) {
            await gateway.kill9();
            await publisher.end();
            continue;
          }
          await publisher.stop(10_000);
          await publisher.end();
          // Everything PUBACKed, and every seq below the highest, must arrive.
          await sub.waitFor((r) => {
            const keys = new Set<string>();
            let max = -1;
            const seqs = new Set<number>();
            for (const m of r)
              for (const x of m.batch.readings) {
                keys.add(keyOf(x));
                seqs.add(x.seq);
                max = Math.max(max, x.seq);
              }
            return [...acked.keys()].every((k) => keys.has(k)) && seqs.size === max + 1;
          }, 60_000);
          expect(await gateway.terminate(), gateway.output()).toBe(0);
        }
        await sleep(500); // late redeliveries count too
        expect(sub.errors).toEqual([]);
        const figures = checkDelivery(sub.received, acked);
        expect(acked.size).toBeGreaterThan(0);
        console.info(
          `kill9 seed ${seed}: ${acked.size} PUBACKed of ${nextIndex.value} published, ${figures.readings} seqs upstream in ${figures.batches} batches / ${figures.messages} messages`,
        );
      } finally {
        await gateway?.kill9();
        await sub.close();
        await cleanup();
      }
    }, 120_000);
  }
});
