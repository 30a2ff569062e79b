/**
 * GET /v1/devices: every known device from the latest-value shards (one document per shard
 * holds ~12-50 devices, so 1000 devices cost tens of reads, not 1000), joined with the
 * profile catalogue and the open alerts (open-alerts.ts: one query per instance per short
 * TTL, so 1000 devices in 50-device shards cost 20 reads). Sorted by device id; the cursor
 * is the last id.
 */
import type { RequestContext } from './context.ts';
import type { DeviceList, DeviceState, DeviceSummary } from './contract.ts';
import { foldShards, summarize } from './device-summary.ts';
import type { OpenAlertIndex } from './open-alerts.ts';
import {
  encodeCursor,
  ParamProblems,
  parseCursor,
  parseEnum,
  parseLimit,
  rejectUnknown,
  single,
} from './params.ts';
import type { FleetReads } from './ports.ts';
import type { ProfileCatalog } from './profiles.ts';

const STATES: readonly DeviceState[] = ['ok', 'alerting', 'stale', 'unregistered'];
export const DEVICES_MAX_LIMIT = 1000;

export interface DevicesDeps {
  readonly reads: FleetReads;
  readonly profiles: ProfileCatalog;
  readonly openAlerts: OpenAlertIndex;
}

export async function listDevices(ctx: RequestContext, deps: DevicesDeps): Promise<DeviceList> {
  const problems = new ParamProblems();
  rejectUnknown(ctx.query, ['site', 'state', 'limit', 'cursor'], problems);
  const site = single(ctx.query, 'site', problems);
  const state = parseEnum(ctx.query, 'state', STATES, problems);
  const limit = parseLimit(ctx.query, DEVICES_MAX_LIMIT, 200, problems);
  const cursor = parseCursor(ctx.query, ['string'], problems);
  problems.throwIfAny();

  const { budget } = ctx;
  const profiles = await deps.profiles.get(budget);
  budget.reserve(1, 'the latest-value shards');
  const shards = await deps.reads.listShards(budget.remaining - 1);
  budget.charge(shards.reads);
  if (shards.truncated) budget.refuse('listing the latest-value shards');
  const openByDevice = await deps.openAlerts.get(budget);
  const seen = foldShards(shards.items, profiles);
  const ids = new Set<string>([...seen.keys(), ...profiles.keys()]);
  const all: DeviceSummary[] = [];
  for (const deviceId of [...ids].sort()) {
    const summary = summarize(
      deviceId,
      seen.get(deviceId),
      profiles.get(deviceId),
      openByDevice.get(deviceId) ?? 0,
      ctx.nowMs,
      ctx.config,
    );
    if (site !== undefined && summary.site !== site) continue;
    if (state !== undefined && summary.state !== state) continue;
    all.push(summary);
  }
  const after = cursor?.[0] as string | undefined;
  const from = after === undefined ? 0 : all.findIndex((d) => d.deviceId > after);
  const page = from < 0 ? [] : all.slice(from, from + limit);
  const last = page[page.length - 1];
  const more = from >= 0 && from + limit < all.length;
  return { items: page, nextCursor: more && last ? encodeCursor([last.deviceId]) : null, total: all.length };
}
