/**
 * GET /v1/devices/{id}: the device's profile (from the catalogue: no read when warm) with
 * units and the rules that apply per metric, merged as ingest merges them (shared rulesFor),
 * so the console draws the thresholds the cloud actually evaluates.
 */
import { METRIC_CATALOG, type RuleSpec, rulesFor } from '@edgeflow/shared';
import type { RequestContext } from './context.ts';
import type { DeviceDetail, RuleView } from './contract.ts';
import { notFound } from './errors.ts';
import { checkDeviceId, ParamProblems, rejectUnknown } from './params.ts';
import type { FleetReads } from './ports.ts';
import type { ProfileCatalog } from './profiles.ts';

function view(r: RuleSpec): RuleView {
  const t = r as Partial<{ threshold: number; direction: string; clearBand: number }>;
  return {
    id: r.id,
    kind: r.kind,
    severity: r.severity,
    threshold: typeof t.threshold === 'number' ? t.threshold : null,
    direction: typeof t.direction === 'string' ? t.direction : null,
    clearBand: typeof t.clearBand === 'number' ? t.clearBand : null,
  };
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
  const profile = (await deps.profiles.get(ctx.budget)).get(deviceId);
  if (!profile) {
    ctx.budget.reserve(1, 'the unregistered-device record');
    const known = await deps.reads.isUnregisteredKnown(deviceId);
    ctx.budget.charge(1);
    if (!known) throw notFound(`device ${deviceId}`);
  }
  const units: Record<string, string> = {};
  for (const [metric, spec] of Object.entries(METRIC_CATALOG)) units[metric] = spec.unit;
  Object.assign(units, profile?.units ?? {});
  const rules: Record<string, RuleView[]> = {};
  for (const metric of Object.keys(units)) {
    const applying = rulesFor(ctx.config.defaultRules, profile?.rules, metric);
    if (applying.length > 0) rules[metric] = applying.map(view);
  }
  return {
    deviceId,
    registered: profile !== undefined,
    site: profile?.site ?? null,
    name: profile?.name ?? null,
    units,
    rules,
  };
}
