/** Renders the console state as text: a live block on a TTY, one line per second otherwise. */
import { styleText } from 'node:util';
import { total } from '../observe.ts';
import type { AlertLine, ConsoleState } from './state.ts';

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const secs = (ms: number) => `${Math.max(0, Math.round(ms / 1000))}s`;

export function renderBlock(s: ConsoleState, nowMs: number, color: boolean): string {
  const paint = (style: Parameters<typeof styleText>[0], text: string) =>
    color ? styleText(style, text) : text;
  const c = s.counters;
  const f = s.fleet;
  const rejected = total(c, 'edgeflow_gateway_readings_rejected_total');
  const lines = [
    paint('bold', 'edgeflow — local pipeline') +
      paint('dim', `  ${s.phase}  (${secs(nowMs - s.startedAtMs)})`),
    '',
    `fleet     ${f ? `${f.connected}/${f.devices} connected  sent ${fmt(f.sentPerS)}/s  acked ${fmt(f.ackedPerS)}/s  failed ${fmt(f.failedPerS)}/s  ${secs(f.elapsedMs)} elapsed, ${secs(f.remainingMs)} left` : '-'}`,
    `gateway   in ${fmt(s.inPerS)}/s  accepted ${fmt(total(c, 'edgeflow_gateway_readings_accepted_total'))}  rejected ${fmt(rejected)}  clients ${fmt(total(c, 'edgeflow_gateway_connected_clients'))}`,
    `outbox    ${fmt(total(c, 'edgeflow_outbox_records'))} records  ${fmt(total(c, 'edgeflow_outbox_bytes') / 1024, 1)} KiB  oldest ${fmt(total(c, 'edgeflow_outbox_oldest_age_seconds'), 1)}s`,
    `uplink    out ${fmt(s.outPerS)}/s  batches ${fmt(total(c, 'edgeflow_forwarder_batches_sent_total'))} sent, ${fmt(total(c, 'edgeflow_forwarder_batches_failed_total'))} failed`,
    `cloud     ${fmt(s.persisted)} readings persisted  ${fmt(s.firestoreWrites)} Firestore writes by ingest  ${fmt(s.deliveries)} webhook deliveries`,
    `console   ${s.consoleUrl ? paint('underline', s.consoleUrl) : paint('dim', 'starting')}`,
    '',
    paint('bold', 'alerts (newest last)'),
    ...(s.lines.length
      ? s.lines.map((l) => renderAlert(l, s.startedAtMs, paint))
      : [paint('dim', '  none yet')]),
  ];
  return lines.join('\n');
}

export function renderAlert(
  l: AlertLine,
  startedAtMs: number,
  paint: (style: Parameters<typeof styleText>[0], text: string) => string = (_s, t) => t,
): string {
  const kind = {
    raised: paint('red', 'RAISED '),
    cleared: paint('green', 'CLEARED'),
    delivered: paint('cyan', 'WEBHOOK'),
    acknowledged: paint('yellow', 'ACKED  '),
    resolved: paint('green', 'RESOLVED'),
  }[l.kind];
  const where =
    l.where === 'webhook'
      ? 'delivered'
      : l.kind === 'acknowledged' || l.kind === 'resolved'
        ? 'by an operator'
        : `seen first at ${l.where}`;
  return `  ${secs(l.atMs - startedAtMs).padStart(5)} ${kind} ${l.deviceId} ${l.metric} ${l.ruleId} (${l.severity}) value ${l.value}  ${paint('dim', where)}`;
}

/** One quiet line for logs and pipes. */
export function renderLine(s: ConsoleState, nowMs: number): string {
  const c = s.counters;
  return [
    `t=${secs(nowMs - s.startedAtMs)}`,
    `phase="${s.phase}"`,
    `sent/s=${fmt(s.fleet?.sentPerS ?? 0)}`,
    `in/s=${fmt(s.inPerS)}`,
    `out/s=${fmt(s.outPerS)}`,
    `outbox=${fmt(total(c, 'edgeflow_outbox_records'))}`,
    `batches=${fmt(total(c, 'edgeflow_forwarder_batches_sent_total'))}`,
    `persisted=${fmt(s.persisted)}`,
    `firestore_writes=${fmt(s.firestoreWrites)}`,
    `deliveries=${s.deliveries}`,
  ].join(' ');
}
