/**
 * Device publish -> alert, at the edge and in the cloud, from the same publishes: one
 * mqtt.js device drives a zero-hold threshold rule through alternating raise / clear
 * episodes, paced. Each transition carries a unique value, echoed by the gateway's alert on
 * `alerts/<device>/<metric>` and by the cloud's alert record (`value` at the raise,
 * `clearedValue` at the clear), which is how an observation is matched to its publish.
 * Times are all `performance.now()` of this process: publish call, MQTT alert received,
 * Firestore snapshot listener reporting the record.
 */
import type { RuleSet } from '@edgeflow/shared';
import mqtt from 'mqtt';
import { watchCloudAlerts, watchEdgeAlerts } from '../src/observe.ts';
import type { Pipeline } from '../src/pipeline.ts';

export const BENCH_METRIC = 'temperature';
const RAISE_ABOVE = 30;
const CLEAR_BAND = 1;

/** The rule the episodes drive; raise and clear take effect on the first reading past them. */
export const BENCH_RULES: RuleSet = {
  [BENCH_METRIC]: [
    {
      id: 'bench-hot',
      kind: 'threshold',
      severity: 'warning',
      direction: 'above',
      threshold: RAISE_ABOVE,
      clearBand: CLEAR_BAND,
      raiseHoldMs: 0,
      clearHoldMs: 0,
    },
  ],
};

/** The k-th transition's value: raises above the threshold, clears under the band, all distinct. */
export function transitionValue(k: number): { kind: 'raised' | 'cleared'; value: number } {
  const step = (Math.floor(k / 2) % 900) / 100;
  return k % 2 === 0
    ? { kind: 'raised', value: Math.round((RAISE_ABOVE + 1 + step) * 100) / 100 }
    : { kind: 'cleared', value: Math.round((10 + step) * 100) / 100 };
}

export const transitionKey = (deviceId: string, kind: string, value: number): string =>
  `${deviceId}|${kind}|${value.toFixed(2)}`;

export interface EpisodeResult {
  readonly transitionsSent: number;
  readonly edgeLatenciesMs: number[];
  readonly cloudLatenciesMs: number[];
  /** Wall-clock (Date.now) times per transition key, to line up with Pub/Sub and log times. */
  readonly sentAtWallMs: ReadonlyMap<string, number>;
  readonly cloudSeenAtWallMs: ReadonlyMap<string, number>;
  /** Device -> cloud record per timed transition in send order (null: never seen), to show when the tail happens. */
  readonly cloudBySendOrderMs: (number | null)[];
  /** Device -> cloud record of the very first transition (cold functions), if it arrived. */
  readonly coldCloudMs: number | undefined;
}

export interface EpisodeOptions {
  /**
   * Unmeasured episodes first, each waited for until its cloud record appears (bounded by
   * `settleTimeoutMs`): the first event of each function instance pays its cold start.
   */
  readonly warmUpEpisodes: number;
  readonly episodes: number;
  readonly paceMs: number;
  /** After the last publish, how long to wait for the last cloud records. */
  readonly settleTimeoutMs: number;
  readonly onProgress?: (sent: number, total: number, edgeSeen: number, cloudSeen: number) => void;
}

export async function runAlertEpisodes(
  pipeline: Pipeline,
  device: { deviceId: string; password: string },
  options: EpisodeOptions,
): Promise<EpisodeResult> {
  const sentAt = new Map<string, number>();
  const edge = new Map<string, number>();
  const cloud = new Map<string, number>();
  const sentAtWall = new Map<string, number>();
  const cloudAtWall = new Map<string, number>();
  const record = (into: Map<string, number>, key: string) => {
    const t0 = sentAt.get(key);
    if (t0 === undefined || into.has(key)) return;
    into.set(key, performance.now() - t0);
    if (into === cloud) cloudAtWall.set(key, Date.now());
  };

  const edgeWatch = await watchEdgeAlerts(pipeline.gateway.mqttUrl, pipeline.console, (event) => {
    if (event.metric === BENCH_METRIC) record(edge, transitionKey(event.deviceId, event.kind, event.value));
  });
  const stopCloud = watchCloudAlerts(pipeline.db, (r) => {
    if (r.metric !== BENCH_METRIC) return;
    const cleared = r as unknown as { clearedValue: number | null };
    if (r.raisedAtMs !== null) record(cloud, transitionKey(r.deviceId, 'raised', r.value));
    if (r.clearedAtMs !== null && typeof cleared.clearedValue === 'number')
      record(cloud, transitionKey(r.deviceId, 'cleared', cleared.clearedValue));
  });
  const client = await mqtt.connectAsync(pipeline.gateway.mqttUrl, {
    username: device.deviceId,
    password: device.password,
    clientId: device.deviceId,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
  const total = options.episodes * 2;
  const warm = options.warmUpEpisodes * 2;
  const topic = `sensors/${device.deviceId}/${BENCH_METRIC}`;
  const send = async (k: number): Promise<string> => {
    const { kind, value } = transitionValue(k);
    const key = transitionKey(device.deviceId, kind, value);
    sentAtWall.set(key, Date.now());
    sentAt.set(key, performance.now());
    await client.publishAsync(topic, value.toFixed(2), { qos: 1 });
    return key;
  };
  const settle = async (edgeWanted: number, cloudWanted: number) => {
    const deadline = performance.now() + options.settleTimeoutMs;
    while ((edge.size < edgeWanted || cloud.size < cloudWanted) && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  let coldCloudMs: number | undefined;
  const timedKeys: string[] = [];
  try {
    const warmKeys: string[] = [];
    for (let k = 0; k < warm; k++) {
      warmKeys.push(await send(k));
      await settle(k + 1, k + 1);
    }
    coldCloudMs = warmKeys.length > 0 ? cloud.get(warmKeys[0]!) : undefined;
    for (const key of warmKeys) {
      edge.delete(key);
      cloud.delete(key);
      cloudAtWall.delete(key);
      sentAt.delete(key);
    }
    for (let k = 0; k < total; k++) {
      timedKeys.push(await send(warm + k));
      await new Promise((r) => setTimeout(r, options.paceMs));
      if (k % 20 === 19) options.onProgress?.(k + 1, total, edge.size, cloud.size);
    }
    await settle(total, total);
    options.onProgress?.(total, total, edge.size, cloud.size);
  } finally {
    stopCloud();
    await Promise.allSettled([client.endAsync(), edgeWatch.close()]);
  }
  return {
    transitionsSent: total,
    edgeLatenciesMs: [...edge.values()],
    cloudLatenciesMs: [...cloud.values()],
    sentAtWallMs: sentAtWall,
    cloudSeenAtWallMs: cloudAtWall,
    coldCloudMs,
    cloudBySendOrderMs: timedKeys.map((k) => cloud.get(k) ?? null),
  };
}
