/**
 * GET /v1/devices/{id}: the device as GET /v1/devices shows it (same fold, device-summary.ts)
 * and the rules in force per metric, taken from ingest's own rule stepper (fleet defaults
 * merged with the profile's overrides by the shared rulesFor), so the console draws the
 * thresholds the cloud actually evaluates.
 *
 * Reads: the profile (from the catalogue: none when warm), the device's gateway's latest
 * shards (ingest's latestShards, 4 by default; only this device's series is transferred),
 * its open alerts, and for an unregistered device its unregistered record. A device whose
 * gateway is unknown (a profile bound to no gateway) is looked for in every shard, under the
 * same read cap as the list.
 */
import type { DeviceProfile, RuleSpec } from '@edgeflow/shared';
import type { Limited, ShardView } from '../adapters/firestore/api-reads.ts';
import { sharedRuleStepper } from '../functions/ingest/rules.ts';
import type { RequestContext } from './context.ts';
import type { DeviceDetail } from './contract.ts';
import { foldShards, summarize } from './device-summary.ts';
import { notFound } from './errors.ts';
import { checkDeviceId, ParamProblems, rejectUnknown } from './params.ts';
import type { FleetReads } from './ports.ts';
import type { ProfileCatalog } from './profiles.ts';

/** Metric -> the rules ingest evaluates for this profile (metrics without rules left out). */
export function rulesInForce(
  defaults: RequestContext['config']['defaultRules'],
  profile: DeviceProfile | undefined,
): Record<string, RuleSpec[]> {
  const stepper = sharedRuleStepper(defaults);
  const metrics = new Set([...Object.keys(defaults), ...Object.keys(profile?.rules ?? {})]);
  const rules: Record<string, RuleSpec[]> = {};
  for (const metric of [...metrics].sort()) {
    const applying = stepper.rulesFor(profile, metric);
    if (applying.length > 0) rules[metric] = [...applying];
  }
  return rules;
}

export async function getDevice(
  ctx: RequestContext,
  deps: { readonly reads: FleetReads; readonly profiles: ProfileCatalog },
): Promise<DeviceDetail> {
  const deviceId = ctx.params.id as string;
  const problems = new ParamProblems();
  rejectUnknown(ctx.query, [], problems);
  checkDeviceId(deviceId, '/path/id', problems);
  problems.throwIfAny();
  const { budget } = ctx;
  const profiles = await deps.profiles.get(budget);
  const profile = profiles.get(deviceId);
  let gatewayId: string | null | undefined = profile?.gatewayId ?? null;
  let reported = false;
  if (!profile) {
    budget.reserve(1, 'the unregistered-device record');
    gatewayId = await deps.reads.unregisteredGateway(deviceId);
    budget.charge(1);
    reported = gatewayId !== undefined;
  }

  budget.reserve(1, 'the latest-value shards');
  let shards: Limited<ShardView>;
  if (typeof gatewayId === 'string') {
    shards = await deps.reads.deviceShards(gatewayId, deviceId, budget.remaining - 1);
  } else {
    shards = await deps.reads.listShards(budget.remaining - 1);
  }
  budget.charge(shards.reads);
  if (shards.truncated) budget.refuse('reading the latest-value shards');
  const seen = foldShards(shards.items, profiles, deviceId).get(deviceId);
  // Known as the list knows devices: a profile, or readings in a shard (or ingest's record).
  if (!profile && !seen && !reported) throw notFound(`device ${deviceId}`);

  budget.reserve(1, 'the open alerts');
  const open = await deps.reads.openAlertsOf(deviceId, budget.remaining - 1);
  budget.charge(open.reads);
  if (open.truncated) budget.refuse('counting open alerts');

  return {
    device: summarize(deviceId, seen, profile, open.items.length, ctx.nowMs, ctx.config),
    rules: rulesInForce(ctx.config.defaultRules, profile),
  };
}
