/**
 * The load generator shared by both benchmark runs: N mqtt.js publishers, QoS 1, each with a
 * bounded in-flight window. Runs in the benchmark process; the broker under test runs in
 * its own process, so both runs get the same generator and the same CPU split. Alert latency
 * is timed by a separate probe process (alert-probe.ts) while this load runs.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import type { ProbeAccount, ProbeRequest, ProbeResult } from './alert-probe.ts';

const execFileAsync = promisify(execFile);
const PROBE = fileURLToPath(new URL('./alert-probe.ts', import.meta.url));

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
        clientId: deviceId,
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
  /** Readings sent in total: the bulk load plus the probe's. */
  readonly sent: number;
  readonly alerts: number;
  readonly achievedPerSecond: number;
  /** Ticks when a bulk publisher's window was full and it fell behind the target rate. */
  readonly behind: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface AlertProbeSpec {
  readonly url: string;
  /** A device whose temperature crosses a zero-hold threshold rule at 30 (clear band 1). */
  readonly device: ProbeAccount;
  /** An account allowed to subscribe to that device's alerts. */
  readonly panel: ProbeAccount;
}

/**
 * Device-publish -> local-alert latency under load: for `durationMs`, the publishers send
 * humidity readings paced to `ratePerSecond` in total (less the probe's share), while the
 * alert probe (alert-probe.ts, a child process) publishes `alertsPerSecond` threshold
 * crossings and times each alert it receives.
 */
export async function runAlertLatency(
  publishers: readonly Publisher[],
  probe: AlertProbeSpec,
  options: { ratePerSecond: number; durationMs: number; window: number; alertsPerSecond: number },
): Promise<LatencyResult> {
  const request: ProbeRequest = {
    url: probe.url,
    device: probe.device,
    panel: probe.panel,
    alertsPerSecond: options.alertsPerSecond,
    durationMs: options.durationMs,
  };
  const child = execFileAsync(process.execPath, [PROBE, JSON.stringify(request)], {
    timeout: options.durationMs + 30_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const started = performance.now();
  const bulk = await runPacedLoad(publishers, {
    ratePerSecond: options.ratePerSecond - options.alertsPerSecond,
    durationMs: options.durationMs,
    window: options.window,
  });
  const elapsedMs = performance.now() - started;
  const result = JSON.parse((await child).stdout) as ProbeResult;
  const latencies = result.latenciesMs.sort((a, b) => a - b);
  const pick = (q: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return {
    sent: bulk.sent + result.sent,
    alerts: latencies.length,
    achievedPerSecond: ((bulk.sent + result.sent) * 1000) / elapsedMs,
    behind: bulk.behind,
    p50Ms: pick(0.5),
    p99Ms: pick(0.99),
    maxMs: latencies.at(-1) ?? Number.NaN,
  };
}

/** QoS 1 humidity readings paced to `ratePerSecond` in total, each publisher within its window. */
export async function runPacedLoad(
  publishers: readonly Publisher[],
  options: { ratePerSecond: number; durationMs: number; window: number },
): Promise<{ sent: number; behind: number }> {
  const perPublisherRate = options.ratePerSecond / publishers.length;
  const started = performance.now();
  let sent = 0;
  let behind = 0;
  await Promise.all(
    publishers.map(
      ({ deviceId, client }) =>
        new Promise<void>((resolve) => {
          let mine = 0;
          let inFlight = 0;
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
              client.publish(
                `sensors/${deviceId}/humidity`,
                (40 + (mine % 200) / 10).toFixed(1),
                { qos: 1 },
                onAck,
              );
            }
          };
          const timer = setInterval(tick, 2);
        }),
    ),
  );
  return { sent, behind };
}

export async function closeAll(publishers: readonly Publisher[]): Promise<void> {
  await Promise.all(publishers.map((p) => p.client.endAsync(true).catch(() => undefined)));
}
