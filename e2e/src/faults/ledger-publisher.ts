/**
 * A steady device load whose every reading is accounted for: each device is its own mqtt.js
 * connection publishing QoS 1 JSON readings with a unique event time, and the ledger records
 * whether the gateway acknowledged (PUBACK) each one. A reading whose connection dropped
 * before its PUBACK is `unknown` (it may or may not have been made durable) and is never
 * re-sent, so any second copy in Firestore is the pipeline's doing, not the device's.
 * The gateway's own counters reset when it restarts; this ledger does not.
 */
import mqtt, { type MqttClient } from 'mqtt';

export type ReadingState = 'inflight' | 'acked' | 'unknown';

export interface LedgerEntry {
  readonly deviceId: string;
  readonly metric: string;
  readonly tsMs: number;
  readonly value: number;
  state: ReadingState;
}

export interface LedgerDevice {
  readonly deviceId: string;
  readonly password: string;
}

export interface LedgerPublisherOptions {
  readonly brokerUrl: string;
  readonly devices: readonly LedgerDevice[];
  readonly metric: string;
  /** Readings per second per device (a tick publishes one reading per device). */
  readonly ratePerDevice: number;
  /** Event time of each device's first reading; later ones are `tsStepMs` apart. */
  readonly tsBaseMs: number;
  readonly tsStepMs: number;
  /** Unacknowledged readings per connection; past it a tick is skipped (counted). */
  readonly maxInFlight: number;
  /** The steady value of reading `i` of a device; two decimals (the metric's resolution). */
  readonly value: (deviceIndex: number, i: number) => number;
}

export interface LedgerPublisher {
  readonly entries: readonly LedgerEntry[];
  readonly counts: () => Record<ReadingState, number> & { skipped: number; connects: number };
  /** The next reading of `deviceId` carries `value` (e.g. to cross a rule threshold). */
  inject(deviceId: string, value: number): void;
  /** Resolves once every device has this many more acknowledged readings, or rejects at the bound. */
  waitAcked(extra: number, timeoutMs: number): Promise<void>;
  /** Stops publishing, waits (bounded) for outstanding PUBACKs, closes every connection. */
  stop(): Promise<void>;
}

const TOPIC = (deviceId: string, metric: string) => `sensors/${deviceId}/${metric}`;

export function key(deviceId: string, metric: string, tsMs: number): string {
  return `${deviceId}|${metric}|${tsMs}`;
}

export function startLedgerPublisher(options: LedgerPublisherOptions): LedgerPublisher {
  const entries: LedgerEntry[] = [];
  const injected = new Map<string, number>();
  let stopped = false;
  let skipped = 0;
  let connects = 0;
  const perDevice = options.devices.map((d, index) => ({
    ...d,
    index,
    i: 0,
    client: undefined as MqttClient | undefined,
    connecting: false,
    pending: new Set<LedgerEntry>(),
    acked: 0,
  }));
  type Dev = (typeof perDevice)[number];

  const connectDevice = (dev: Dev): void => {
    if (dev.connecting || stopped) return;
    dev.connecting = true;
    const client = mqtt.connect(options.brokerUrl, {
      // Bound to the device by the gateway; a fresh clean session per connection all the same.
      clientId: dev.deviceId,
      username: dev.deviceId,
      password: dev.password,
      // No automatic reconnect and no re-send: a dropped connection's in-flight readings
      // become `unknown`, and the next tick opens a fresh clean session.
      reconnectPeriod: 0,
      connectTimeout: 3000,
      clean: true,
    });
    connects += 1;
    const drop = (): void => {
      for (const e of dev.pending) e.state = 'unknown';
      dev.pending.clear();
      if (dev.client === client) dev.client = undefined;
      dev.connecting = false;
      client.end(true);
    };
    client.once('connect', () => {
      dev.client = client;
      dev.connecting = false;
    });
    client.once('close', drop);
    client.on('error', () => drop());
  };

  const tick = (): void => {
    for (const dev of perDevice) {
      if (!dev.client?.connected) {
        connectDevice(dev);
        continue;
      }
      if (dev.pending.size >= options.maxInFlight) {
        skipped += 1;
        continue;
      }
      const i = dev.i++;
      const over = injected.get(dev.deviceId);
      injected.delete(dev.deviceId);
      const entry: LedgerEntry = {
        deviceId: dev.deviceId,
        metric: options.metric,
        tsMs: options.tsBaseMs + i * options.tsStepMs,
        value: over ?? options.value(dev.index, i),
        state: 'inflight',
      };
      entries.push(entry);
      dev.pending.add(entry);
      const client = dev.client;
      client.publish(
        TOPIC(dev.deviceId, options.metric),
        `{"v":${entry.value},"t":${entry.tsMs}}`,
        { qos: 1 },
        (err) => {
          if (!dev.pending.delete(entry)) return;
          if (err) {
            entry.state = 'unknown';
          } else {
            entry.state = 'acked';
            dev.acked += 1;
          }
        },
      );
    }
  };
  const timer = setInterval(tick, Math.max(1, Math.round(1000 / options.ratePerDevice)));

  return {
    entries,
    counts() {
      const c = { inflight: 0, acked: 0, unknown: 0, skipped, connects };
      for (const e of entries) c[e.state] += 1;
      return c;
    },
    inject(deviceId, value) {
      injected.set(deviceId, value);
    },
    async waitAcked(extra, timeoutMs) {
      const targets = perDevice.map((d) => d.acked + extra);
      const deadline = Date.now() + timeoutMs;
      while (perDevice.some((d, j) => d.acked < (targets[j] as number))) {
        if (Date.now() > deadline)
          throw new Error(`fewer than ${extra} more readings acknowledged per device in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      const deadline = Date.now() + 10_000;
      while (perDevice.some((d) => d.pending.size > 0) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await Promise.all(
        perDevice.map(async (d) => {
          const c = d.client;
          d.client = undefined;
          for (const e of d.pending) e.state = 'unknown';
          d.pending.clear();
          if (c) await c.endAsync(true).catch(() => undefined);
        }),
      );
    },
  };
}
