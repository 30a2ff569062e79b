/**
 * The latency probe of the alert-latency benchmark, in its own process: one device that
 * publishes a temperature crossing a zero-hold threshold rule (alternately above and below,
 * so every reading is a transition) at a steady rate, and one operator panel subscribed to
 * the device's alert topic. Latency = alert received - publish called, on this process's
 * clock. It runs apart from the bulk load generator so that the figure is the gateway's
 * (and the kernel's), not the event-loop stalls of a process pushing 10k messages/s; a real
 * device does not share a process with the rest of the fleet either.
 *
 * Input: one JSON argument (ProbeRequest). Output: one JSON line (ProbeResult) on stdout.
 */
import mqtt from 'mqtt';

export interface ProbeAccount {
  readonly deviceId: string;
  readonly password?: string | undefined;
}

export interface ProbeRequest {
  readonly url: string;
  readonly device: ProbeAccount;
  readonly panel: ProbeAccount;
  readonly alertsPerSecond: number;
  readonly durationMs: number;
}

export interface ProbeResult {
  readonly sent: number;
  readonly latenciesMs: number[];
}

async function connect(url: string, account: ProbeAccount, clientId: string) {
  return mqtt.connectAsync(url, {
    clientId,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...(account.password === undefined ? {} : { username: account.deviceId, password: account.password }),
  });
}

export async function runProbe(request: ProbeRequest): Promise<ProbeResult> {
  const device = await connect(request.url, request.device, request.device.deviceId);
  const panel = await connect(request.url, request.panel, request.panel.deviceId);
  const sentAt = new Map<number, number>();
  const latenciesMs: number[] = [];
  panel.on('message', (_topic, payload) => {
    const now = performance.now();
    const alert = JSON.parse(payload.toString()) as { deviceId: string; value: number };
    const t0 = alert.deviceId === request.device.deviceId ? sentAt.get(alert.value) : undefined;
    if (t0 !== undefined) latenciesMs.push(now - t0);
  });
  await panel.subscribeAsync(`alerts/${request.device.deviceId}/#`, { qos: 0 });

  const intervalMs = 1000 / request.alertsPerSecond;
  const started = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const elapsed = performance.now() - started;
      if (elapsed >= request.durationMs) {
        resolve();
        return;
      }
      // Raise above 30, clear below 29, at the resolutions the temperature metric keeps;
      // each value unique (for 10k publishes), so the alert names the publish behind it.
      const k = sent % 10_000;
      const value = k % 2 === 0 ? 31 + k / 100 : 10 + k / 1000;
      sentAt.set(value, performance.now());
      device.publish(`sensors/${request.device.deviceId}/temperature`, String(value), { qos: 1 });
      sent++;
      setTimeout(tick, Math.max(0, started + sent * intervalMs - performance.now()));
    };
    tick();
  });
  await new Promise((r) => setTimeout(r, 500)); // the last alerts
  await Promise.all([device.endAsync(true), panel.endAsync(true)]);
  return { sent, latenciesMs };
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const result = await runProbe(JSON.parse(process.argv[2] as string) as ProbeRequest);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
