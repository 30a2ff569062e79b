/**
 * Judging a real run against its scenario: the alerts the pipeline recorded (event times,
 * as the edge and the cloud agree on them) against the scenario's expected alerts, and the
 * gateway's rejection counters against the rejections the scenario sends by design.
 */
import type { ExpectedOutcome } from '@edgeflow/simulators';

export interface ObservedAlert {
  readonly alertId: string;
  readonly deviceId: string;
  readonly metric: string;
  readonly ruleId: string;
  readonly raisedAtMs: number | null;
  readonly clearedAtMs: number | null;
}

export interface AlertVerdict {
  readonly missed: readonly string[];
  readonly unexpected: readonly string[];
}

/**
 * The gateway names a rejection by what it found; the simulator names a defect by what it
 * sent. Several defects land in one gateway reason (a broken JSON and a bad CBOR are both
 * unparsable), so counts are compared per gateway reason.
 */
const GATEWAY_REASON: Readonly<Record<string, string>> = {
  malformed_payload: 'unparsable',
  non_finite: 'non_finite',
  out_of_range: 'out_of_range',
  bad_timestamp: 'past_ts',
  bad_metric: 'bad_metric',
  oversize: 'oversize',
  bad_topic: 'bad_topic',
};

export function gatewayReasonFor(simulatorReason: string): string {
  return GATEWAY_REASON[simulatorReason] ?? simulatorReason;
}

/**
 * Alerts of the scenario's devices against its expectations (event times, from the run's
 * start). Episodes raised after the run's end are not the scenario's: when a fleet stops,
 * its devices fall silent and the staleness rules rightly say so.
 */
export function judgeAlerts(
  expected: ExpectedOutcome,
  startMs: number,
  endMs: number,
  observed: readonly ObservedAlert[],
): AlertVerdict {
  const alerts = observed.filter((a) => a.raisedAtMs === null || a.raisedAtMs <= endMs);
  const at = (ms: number | null) => (ms === null ? 'never' : `${((ms - startMs) / 1000).toFixed(1)}s`);
  const inWindow = (ms: number | null, w: { fromMs: number; toMs: number }) =>
    ms !== null && ms - startMs >= w.fromMs && ms - startMs <= w.toMs;
  const byKey = new Map<string, ObservedAlert[]>();
  for (const a of alerts) {
    const key = `${a.deviceId}/${a.metric}/${a.ruleId}`;
    byKey.set(key, [...(byKey.get(key) ?? []), a]);
  }
  const missed: string[] = [];
  const covered = new Set<string>();
  for (const x of expected.alerts) {
    const key = `${x.deviceId}/${x.metric}/${x.rule}`;
    covered.add(key);
    const episodes = (byKey.get(key) ?? []).sort((a, b) => (a.raisedAtMs ?? 0) - (b.raisedAtMs ?? 0));
    if (episodes.length < x.count.min || episodes.length > x.count.max) {
      missed.push(`${key}: ${episodes.length} episode(s), expected ${x.count.min}..${x.count.max}`);
      continue;
    }
    const first = episodes[0];
    if (!first) continue;
    if (!inWindow(first.raisedAtMs, x.raise)) {
      missed.push(
        `${key}: raised at ${at(first.raisedAtMs)}, expected ${x.raise.fromMs / 1000}-${x.raise.toMs / 1000}s`,
      );
    }
    const last = episodes[episodes.length - 1] as ObservedAlert;
    if (x.clear === 'never') {
      if (last.clearedAtMs !== null)
        missed.push(`${key}: cleared at ${at(last.clearedAtMs)}, expected to stay raised`);
    } else if (!inWindow(last.clearedAtMs, x.clear)) {
      missed.push(
        `${key}: cleared at ${at(last.clearedAtMs)}, expected ${x.clear.fromMs / 1000}-${x.clear.toMs / 1000}s`,
      );
    }
  }
  const unexpected: string[] = [];
  if (expected.exhaustive) {
    for (const [key, episodes] of byKey) {
      if (!covered.has(key)) unexpected.push(`${key}: raised at ${at(episodes[0]?.raisedAtMs ?? null)}`);
    }
  }
  return { missed, unexpected };
}

/** The gateway's rejection counters against the rejections the scenarios send by design. */
export function judgeRejections(
  expected: readonly { readonly reason: string; readonly count: number }[],
  rejectedByReason: Readonly<Record<string, number>>,
): string[] {
  const want: Record<string, number> = {};
  for (const r of expected) {
    const reason = gatewayReasonFor(r.reason);
    want[reason] = (want[reason] ?? 0) + r.count;
  }
  const mismatches: string[] = [];
  for (const reason of new Set([...Object.keys(want), ...Object.keys(rejectedByReason)])) {
    const w = want[reason] ?? 0;
    const got = rejectedByReason[reason] ?? 0;
    if (w !== got) mismatches.push(`rejected "${reason}": ${got}, expected ${w}`);
  }
  return mismatches;
}
