/**
 * The load generator shared by both benchmark runs: N mqtt.js publishers, QoS 1, each with a
 * bounded in-flight window. Runs in the benchmark process; the broker under test runs in
 * its own process, so both runs get the same generator and the same CPU split.
 */
import mqtt, { type MqttClient } from 'mqtt';

export interface Publisher {
  readonly deviceId: string;
  readonly client: MqttClient;
}

export async function connectPublishers(
  url: string,
  credentials: ReadonlyArray<{ deviceId: string; password?: string }>,
): Promise<Publisher[]> {
  return Promise.all(
    credentials.map(async ({ deviceId, password }) => ({
      deviceId,
      client: await mqtt.connectAsync(url, {
        reconnectPeriod: 0,
        connectTimeout: 10_000,
        clientId: `bench-${deviceId}`,
        ...(password === undefined ? {} : { username: deviceId, password }),
      }),
    })),
  );
}

export interface ThroughputResult {
  readonly messages: number;
  readonly elapsedMs: number;
  readonly perSecond: number;
}

/**
 * Every publisher sends QoS 1 `sensors/<id>/humidity` readings as fast as its window allows,
 * until `perPublisher` are acknowledged or `maxMs` has passed.
 */
export function runThroughput(
  publishers: readonly Publisher[],
  options: { perPublisher: number; window: number; maxMs: number },
): Promise<ThroughputResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    let acked = 0;
    let running = publishers.length;
    const deadline = started + options.maxMs;
    for (const { deviceId, client } of publishers) {
      const topic = `sensors/${deviceId}/humidity`;
      let sent = 0;
      let done = 0;
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        if (--running === 0) {
          const elapsedMs = performance.now() - started;
          resolve({ messages: acked, elapsedMs, perSecond: (acked * 1000) / elapsedMs });
        }
      };
      const sendNext = (): void => {
        if (sent >= options.perPublisher || performance.now() > deadline) {
          if (done === sent) finish();
          return;
        }
        const value = 40 + (sent % 200) / 10;
        sent++;
        client.publish(topic, value.toFixed(1), { qos: 1 }, onAck);
      };
      const onAck = (err?: Error): void => {
        if (err) throw err;
        done++;
        acked++;
        sendNext();
      };
      for (let i = 0; i < options.window; i++) sendNext();
    }
  });
}

export interface LatencyResult {
  readonly sent: number;
  readonly alerts: number;
  readonly achievedPerSecond: number;
  /** Ticks when a publisher's window was full and it fell behind the target rate. */
  readonly behind: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * Paced load at `ratePerSecond` in total for `durationMs`: mostly humidity readings, and
 * every `flipEvery`-th reading of a publisher (phase-shifted per publisher) a temperature reading that crosses the
 * threshold of a zero-hold rule, alternately up and down, so it causes a transition. Each
 * flip carries a unique value; the alert echoes it, which is how an alert is matched to the
 * publish that caused it. Latency = alert received on `alerts/#` - publish called.
 */
export async function runAlertLatency(
  publishers: readonly Publisher[],
  subscriber: MqttClient,
  options: { ratePerSecond: number; durationMs: number; window: number; flipEvery: number },
): Promise<LatencyResult> {
  const sentAt = new Map<string, number>();
  let started = performance.now();
  const latencies: number[] = [];
  const onAlert = (_topic: string, payload: Buffer): void => {
    const now = performance.now();
    const alert = JSON.parse(payload.toString()) as { deviceId: string; value: number };
    const t0 = sentAt.get(`${alert.deviceId}|${alert.value}`);
    if (t0 !== undefined) {
      latencies.push(now - t0);
      if (process.env.BENCH_DEBUG && now - t0 > 5)
        console.log('slow alert', (t0 - started).toFixed(0), (now - t0).toFixed(1));
    }
  };
  subscriber.on('message', onAlert);
  await subscriber.subscribeAsync('alerts/#', { qos: 0 });

  const perPublisherRate = options.ratePerSecond / publishers.length;
  started = performance.now();
  let sent = 0;
  let behind = 0;
  await Promise.all(
    publishers.map(
      ({ deviceId, client }, index) =>
        new Promise<void>((resolve) => {
          let mine = 0;
          let inFlight = 0;
          let flips = 0;
          const onAck = (): void => {
            inFlight--;
          };
          const tick = (): void => {
            const elapsed = performance.now() - started;
            if (elapsed >= options.durationMs) {
              clearInterval(timer);
              resolve();
              return;
            }
            const target = Math.floor((elapsed * perPublisherRate) / 1000);
            while (mine < target) {
              if (inFlight >= options.window) {
                behind++;
                break;
              }
              mine++;
              sent++;
              inFlight++;
              // Devices are not in lockstep: each flips at its own phase, so ten alerts never
              // share one instant (one GC pause would then delay ten at once, not one).
              if (
                (mine + Math.floor((index * options.flipEvery) / publishers.length)) % options.flipEvery ===
                0
              ) {
                const k = flips++;
                // Raise above 30, clear below 29: unique values per device for 10k flips.
                const value = k % 2 === 0 ? 31 + (k % 10_000) / 100 : 10 + (k % 10_000) / 1000;
                sentAt.set(`${deviceId}|${value}`, performance.now());
                client.publish(`sensors/${deviceId}/temperature`, String(value), { qos: 1 }, onAck);
              } else {
                client.publish(
                  `sensors/${deviceId}/humidity`,
                  (40 + (mine % 200) / 10).toFixed(1),
                  { qos: 1 },
                  onAck,
                );
              }
            }
          };
          const timer = setInterval(tick, 2);
        }),
    ),
  );
  const elapsedMs = performance.now() - started;
  // Let the last alerts arrive.
  await new Promise((r) => setTimeout(r, 500));
  subscriber.off('message', onAlert);
  latencies.sort((a, b) => a - b);
  const pick = (q: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return {
    sent,
    alerts: latencies.length,
    achievedPerSecond: (sent * 1000) / elapsedMs,
    behind,
    p50Ms: pick(0.5),
    p99Ms: pick(0.99),
    maxMs: latencies.at(-1) ?? Number.NaN,
  };
}

export async function closeAll(publishers: readonly Publisher[]): Promise<void> {
  await Promise.all(publishers.map((p) => p.client.endAsync(true).catch(() => undefined)));
}
