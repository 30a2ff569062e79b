/** Human output of the CLI: a live progress line on a TTY, quiet periodic lines otherwise, and the summary. */
import type { CheckResult } from '../check.ts';
import { formatDuration } from '../duration.ts';
import type { FleetProgress, FleetSummary } from '../runner/fleet.ts';

const num = (n: number) => Math.round(n).toLocaleString('en-US');

export function formatProgress(p: FleetProgress): string {
  const time = (ms: number) => formatDuration(Math.round(ms / 1000) * 1000);
  if (p.phase === 'connecting') return `connecting  ${num(p.connected)}/${num(p.devices)} devices up`;
  const failed = p.totals.failed;
  const failedTotal = failed.offline + failed.windowFull + failed.backpressure + failed.publishError;
  return (
    `${p.phase === 'draining' ? 'draining' : 'running '}  ${time(p.elapsedMs)} elapsed, ${time(p.remainingMs)} left  ` +
    `sent ${num(p.sentPerS)}/s  acked ${num(p.ackedPerS)}/s  failed ${num(p.failedPerS)}/s  ` +
    `connected ${num(p.connected)}/${num(p.devices)}  total sent ${num(p.totals.sent)} failed ${num(failedTotal)}`
  );
}

export function formatSummary(s: FleetSummary): string {
  const pct = s.targetRatePerS > 0 ? ((s.offeredRatePerS / s.targetRatePerS - 1) * 100).toFixed(2) : '0';
  const byDesign = Object.entries(s.rejectedByDesign)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  const lines = [
    `${s.aborted ? 'aborted' : 'done'}: ${s.devices} devices x ${s.ratePerDevice}/s for ${formatDuration(s.durationMs)} ` +
      `(QoS ${s.qos}, seed ${s.seed}${s.scenario ? `, scenario ${s.scenario}` : ''}) against ${s.broker}`,
    `  rate      offered ${s.offeredRatePerS}/s of ${s.targetRatePerS}/s target (${pct}%)`,
    `  readings  offered ${num(s.offered)}  sent ${num(s.sent)}  acked ${num(s.acked)}  failed ${num(s.failed)}` +
      ` (offline ${num(s.failedBy.offline)}, window full ${num(s.failedBy.windowFull)}, ` +
      `backpressure ${num(s.failedBy.backpressure)}, publish error ${num(s.failedBy.publishError)})`,
    `  by design rejected ${byDesign || '0'}; duplicates ${num(s.duplicatesByDesign)}; silenced ${num(s.silencedByDesign)}`,
    `  devices   connected ${num(s.connected)}/${num(s.devices)} (ramp ${formatDuration(s.connectMs)}); ` +
      `connects ${num(s.connects)}, disconnects ${num(s.disconnects)}, refusals ${num(s.refusals)}, ` +
      `connect errors ${num(s.connectErrors)}`,
    `  memory    peak RSS ${(s.peakRssBytes / 1048576).toFixed(1)} MiB`,
  ];
  return lines.join('\n');
}

export function formatCheck(name: string, seed: number, result: CheckResult): string {
  const sim = result.simulation;
  const lines = [
    `${result.ok ? 'PASS' : 'FAIL'} scenario ${name} (seed ${seed}): ${num(sim.readings)} readings, ` +
      `${sim.alerts.length} alert transitions, rejections ${JSON.stringify(sim.rejections)}`,
  ];
  for (const a of sim.alerts) {
    lines.push(
      `  ${formatDuration(a.tsMs - sim.startMs).padStart(8)}  ${a.kind.padEnd(7)} ${a.deviceId} ${a.metric} ${a.ruleId}`,
    );
  }
  for (const p of result.problems) lines.push(`  problem: ${p}`);
  return lines.join('\n');
}
