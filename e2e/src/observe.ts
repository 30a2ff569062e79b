/**
 * What the console shows and the suites check, read from the running parts themselves:
 * edge alerts from the gateway's retained `alerts/#` topics (as a local panel sees them),
 * cloud alert records from Firestore (a snapshot listener), gateway counters from its
 * metrics endpoint.
 */
import type { AlertEvent } from '@edgeflow/shared';
import type { Firestore } from '@google-cloud/firestore';
import mqtt from 'mqtt';

export interface SeenAlert {
  readonly where: 'edge' | 'cloud';
  readonly event: AlertEvent;
  readonly seenAtMs: number;
}

/** Subscribes to `alerts/#` on the gateway; resolves once subscribed. */
export async function watchEdgeAlerts(
  brokerUrl: string,
  account: { username: string; password: string },
  onAlert: (event: AlertEvent) => void,
): Promise<{ close(): Promise<void> }> {
  const client = await mqtt.connectAsync(brokerUrl, {
    ...account,
    // The gateway binds the client id to the account (mqtt.clientIdPolicy).
    clientId: account.username,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
  });
  client.on('message', (_topic, payload, packet) => {
    // Retained messages replay the current state at subscribe time: not new transitions.
    if (packet.retain || payload.length === 0) return;
    try {
      onAlert(JSON.parse(payload.toString('utf8')) as AlertEvent);
    } catch {
      // The gateway only publishes JSON alerts here; anything else is not ours to show.
    }
  });
  await client.subscribeAsync('alerts/#', { qos: 1 });
  return { close: () => client.endAsync() };
}

export interface CloudAlertRecord {
  readonly alertId: string;
  readonly deviceId: string;
  readonly metric: string;
  readonly ruleId: string;
  readonly severity: string;
  readonly value: number;
  readonly state: string;
  readonly source: string;
  readonly raisedAtMs: number | null;
  readonly clearedAtMs: number | null;
}

/** Calls back with each alert record change (added or modified) in `alerts/`. */
export function watchCloudAlerts(db: Firestore, onChange: (record: CloudAlertRecord) => void): () => void {
  return db.collection('alerts').onSnapshot(
    (snap) => {
      for (const change of snap.docChanges()) {
        if (change.type !== 'removed') onChange(change.doc.data() as CloudAlertRecord);
      }
    },
    () => {
      // The emulator going away at shutdown ends the listener; nothing to report.
    },
  );
}

export type GatewayCounters = Readonly<Record<string, number>>;

/**
 * The gateway's metrics as flat `name{label="v"}` -> value pairs, read through prom-client's
 * JSON form (`/metrics?format=json`).
 */
export async function scrapeGateway(httpUrl: string, timeoutMs = 2000): Promise<GatewayCounters> {
  const res = await fetch(`${httpUrl}/metrics?format=json`, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`gateway metrics answered HTTP ${res.status}`);
  const metrics = (await res.json()) as {
    name: string;
    values: { value: number; labels: Record<string, string | number>; metricName?: string }[];
  }[];
  const out: Record<string, number> = {};
  for (const m of metrics) {
    for (const v of m.values) {
      const labels = Object.entries(v.labels)
        .map(([k, l]) => `${k}="${l}"`)
        .join(',');
      const name = v.metricName ?? m.name;
      out[labels ? `${name}{${labels}}` : name] = v.value;
    }
  }
  return out;
}

/** Sum of every series of `name` (all label values). */
export function total(counters: GatewayCounters, name: string): number {
  let sum = 0;
  for (const [key, value] of Object.entries(counters)) {
    if (key === name || key.startsWith(`${name}{`)) sum += value;
  }
  return sum;
}

/** `{ reason: count }` for a counter labelled by `label`. */
export function byLabel(counters: GatewayCounters, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  const re = new RegExp(`${label}="([^"]*)"`);
  for (const [key, value] of Object.entries(counters)) {
    if (!key.startsWith(`${name}{`) || value === 0) continue;
    const l = key.match(re)?.[1];
    if (l !== undefined) out[l] = (out[l] ?? 0) + value;
  }
  return out;
}
