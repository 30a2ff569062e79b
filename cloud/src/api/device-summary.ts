/**
 * One device's summary from the latest-value shards, its profile and its open alert count:
 * the same fold for GET /v1/devices (every shard) and GET /v1/devices/{id} (the device's
 * gateway's shards), so a device reads the same in the list and in its detail.
 */
import { type DeviceProfile, METRIC_CATALOG } from '@edgeflow/shared';
import type { ShardView } from '../adapters/firestore/api-reads.ts';
import type { ApiConfig } from './config.ts';
import type { DeviceState, DeviceSummary, LatestValue } from './contract.ts';

export interface Seen {
  gatewayId: string;
  metrics: Record<string, LatestValue>;
  lastSeenMs: number | null;
}

/** deviceId -> what the shards hold of it; `only` restricts the fold to one device. */
export function foldShards(
  shards: readonly ShardView[],
  profiles: ReadonlyMap<string, DeviceProfile>,
  only?: string,
): Map<string, Seen> {
  const seen = new Map<string, Seen>();
  for (const shard of shards) {
    for (const [deviceId, metrics] of Object.entries(shard.series)) {
      if (only !== undefined && deviceId !== only) continue;
      const units = profiles.get(deviceId)?.units;
      let entry = seen.get(deviceId);
      if (!entry) {
        entry = { gatewayId: shard.gatewayId, metrics: {}, lastSeenMs: null };
        seen.set(deviceId, entry);
      }
      for (const [metric, s] of Object.entries(metrics)) {
        const prior = entry.metrics[metric];
        // A device that moved gateways appears in both: the newest value wins.
        if (prior && prior.tsMs >= s.tsMs) continue;
        entry.metrics[metric] = {
          v: s.v,
          tsMs: s.tsMs,
          seq: s.seq,
          unit: units?.[metric] ?? METRIC_CATALOG[metric]?.unit ?? null,
        };
        if (entry.lastSeenMs === null || s.tsMs > entry.lastSeenMs) {
          entry.lastSeenMs = s.tsMs;
          entry.gatewayId = shard.gatewayId;
        }
      }
    }
  }
  return seen;
}

export function summarize(
  deviceId: string,
  seen: Seen | undefined,
  profile: DeviceProfile | undefined,
  openAlerts: number,
  nowMs: number,
  config: Pick<ApiConfig, 'staleAfterMs'>,
): DeviceSummary {
  const lastSeenMs = seen?.lastSeenMs ?? null;
  const state: DeviceState = !profile
    ? 'unregistered'
    : openAlerts > 0
      ? 'alerting'
      : lastSeenMs === null || nowMs - lastSeenMs > config.staleAfterMs
        ? 'stale'
        : 'ok';
  return {
    deviceId,
    gatewayId: seen?.gatewayId ?? '',
    site: profile?.site ?? null,
    name: profile?.name ?? null,
    profile: profile ? profile.deviceId : null,
    metrics: seen?.metrics ?? {},
    lastSeenMs,
    state,
    openAlerts,
  };
}
