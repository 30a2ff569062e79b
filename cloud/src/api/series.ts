/**
 * GET /v1/devices/{id}/series/{metric}: a series from its bucket documents (one read per
 * hour bucket: a 24 h range reads 25), deduplicated and downsampled on the server
 * (downsample.ts). Validation happens before any read: bad times, end before start, unknown
 * agg or metric, a range whose point count exceeds maxPoints (with the smallest interval
 * that would fit), or a raw range longer than rawMaxRangeMs, all in one 400.
 */
import { METRIC_CATALOG } from '@edgeflow/shared';
import type { RequestContext } from './context.ts';
import type { Agg, Series } from './contract.ts';
import {
  type ColumnSet,
  downsample,
  gatewayOfColumnKey,
  intervalCount,
  mergeColumns,
  rawPoints,
  smallestFittingInterval,
} from './downsample.ts';
import { notFound, ProblemCodes } from './errors.ts';
import {
  checkDeviceId,
  checkMetricName,
  ParamProblems,
  parseEnum,
  parseInterval,
  parseTime,
  rejectUnknown,
} from './params.ts';
import type { FleetReads } from './ports.ts';
import type { ProfileCatalog } from './profiles.ts';

const AGGS: readonly Agg[] = ['avg', 'min', 'max', 'last', 'count'];
const DEFAULT_RANGE_MS = 3_600_000;

export interface SeriesDeps {
  readonly reads: FleetReads;
  readonly profiles: ProfileCatalog;
  /** The widest bucket window ingest writes (EDGEFLOW_INGEST_BUCKET_WINDOW_MS). */
  readonly bucketWindowMs: number;
}

export async function getSeries(ctx: RequestContext, deps: SeriesDeps): Promise<Series> {
  const deviceId = ctx.params.id as string;
  const metric = ctx.params.metric as string;
  const { config, budget } = ctx;
  const problems = new ParamProblems();
  rejectUnknown(ctx.query, ['start', 'end', 'interval', 'agg'], problems);
  checkDeviceId(deviceId, '/path/id', problems);
  const metricOk = checkMetricName(metric, '/path/metric', problems);
  const startIn = parseTime(ctx.query, 'start', problems);
  const endIn = parseTime(ctx.query, 'end', problems);
  const intervalMs = parseInterval(ctx.query, 'interval', problems);
  const agg = parseEnum(ctx.query, 'agg', AGGS, problems, ProblemCodes.UNKNOWN_AGG) ?? 'avg';
  const endMs = endIn ?? ctx.nowMs;
  const startMs = startIn ?? endMs - DEFAULT_RANGE_MS;
  const timesOk = !problems.list.some((p) => p.code === ProblemCodes.BAD_TIME);
  if (timesOk && endMs <= startMs)
    problems.add(
      '/query/end',
      ProblemCodes.END_BEFORE_START,
      `end (${iso(endMs)}) must be after start (${iso(startMs)})`,
    );
  else if (
    timesOk &&
    intervalMs !== undefined &&
    intervalCount(startMs, endMs, intervalMs) > config.maxPoints
  ) {
    const minIntervalMs = smallestFittingInterval(startMs, endMs, config.maxPoints);
    problems.add(
      '/query/interval',
      ProblemCodes.TOO_MANY_POINTS,
      `${intervalCount(startMs, endMs, intervalMs)} points exceed the cap of ${config.maxPoints}; the smallest interval that fits is ${minIntervalMs} ms`,
      { minIntervalMs },
    );
  } else if (timesOk && intervalMs === undefined && endMs - startMs > config.rawMaxRangeMs) {
    const minIntervalMs = smallestFittingInterval(startMs, endMs, config.maxPoints);
    problems.add(
      '/query/interval',
      ProblemCodes.RANGE_TOO_LONG_FOR_RAW,
      `raw readings are served for ranges up to ${config.rawMaxRangeMs} ms; give an interval (at least ${minIntervalMs} ms)`,
      { minIntervalMs },
    );
  }
  // Unknown metric and unknown device need the catalogue (no read when it is warm).
  const profiles = problems.list.some((p) => p.code === ProblemCodes.BAD_ID)
    ? undefined
    : await deps.profiles.get(budget);
  const profile = profiles?.get(deviceId);
  if (
    metricOk &&
    !Object.hasOwn(METRIC_CATALOG, metric) &&
    !(profile && Object.hasOwn(profile.units, metric))
  )
    problems.add(
      '/path/metric',
      ProblemCodes.UNKNOWN_METRIC,
      `"${metric}" is neither a catalogue metric nor in the device's profile`,
    );
  problems.throwIfAny();
  if (!profile) {
    budget.reserve(1, 'the unregistered-device record');
    const known = await deps.reads.isUnregisteredKnown(deviceId);
    budget.charge(1);
    if (!known) throw notFound(`device ${deviceId}`);
  }

  budget.reserve(1, 'the series bucket documents');
  const docs = await deps.reads.readBuckets(
    deviceId,
    metric,
    startMs,
    endMs,
    deps.bucketWindowMs,
    budget.remaining - 1,
  );
  budget.charge(docs.reads);
  if (docs.truncated) budget.refuse(`the bucket documents of ${deviceId}/${metric} over this range`);

  const columns: ColumnSet[] = [];
  let storedUnit: string | null = null;
  for (const d of docs.items) {
    storedUnit ??= d.unit;
    for (const [key, c] of Object.entries(d.cols))
      columns.push({ gatewayId: gatewayOfColumnKey(key), tsMs: c.tsMs, value: c.value, seq: c.seq });
  }
  const merged = mergeColumns(columns, startMs, endMs);
  const unit = profile?.units[metric] ?? storedUnit ?? METRIC_CATALOG[metric]?.unit ?? null;
  const base = {
    deviceId,
    metric,
    unit,
    startMs,
    endMs,
    readings: merged.count,
    duplicates: merged.duplicates,
  };
  if (intervalMs === undefined) {
    if (merged.count > config.maxPoints) {
      const minIntervalMs = smallestFittingInterval(startMs, endMs, config.maxPoints);
      problems.add(
        '/query/interval',
        ProblemCodes.TOO_MANY_POINTS,
        `${merged.count} raw readings exceed the cap of ${config.maxPoints} points; give an interval (at least ${minIntervalMs} ms)`,
        { minIntervalMs },
      );
      problems.throwIfAny();
    }
    return { ...base, resolution: 'raw', intervalMs: null, agg: null, points: rawPoints(merged) };
  }
  return {
    ...base,
    resolution: 'downsampled',
    intervalMs,
    agg,
    points: downsample(merged, startMs, endMs, intervalMs, agg),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
