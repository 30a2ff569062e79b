/**
 * In-memory DurableOutbox for forwarder unit tests: appends are durable at once (listeners
 * run on a microtask), commits are recorded. The real outbox is tested in test/outbox.
 */
import type { AlertEvent, Reading } from '@edgeflow/shared';
import type {
  AlertRecord,
  DurableOutbox,
  OutboxPosition,
  OutboxReader,
  ReadingsRecord,
  UnsequencedReading,
} from '../../../src/outbox/types.ts';

export interface MemoryOutbox extends DurableOutbox {
  readonly commits: Array<{ position: OutboxPosition; planned: readonly number[] }>;
}

export function memoryOutbox(
  now: () => number,
  restored: { position?: OutboxPosition; planned?: number[]; nextSeq?: number } = {},
): MemoryOutbox {
  const records: ReadingsRecord[] = [];
  const alerts: AlertRecord[] = [];
  const listeners = new Set<() => void>();
  const commits: MemoryOutbox['commits'] = [];
  let committed: OutboxPosition = restored.position ?? { telemetrySeq: 0, alertIndex: 0 };
  let planned: readonly number[] = restored.planned ?? [];
  let nextSeq = restored.nextSeq ?? committed.telemetrySeq;
  const firstSeq = nextSeq;
  const notify = () =>
    queueMicrotask(() => {
      for (const l of listeners) l();
    });

  const reader: OutboxReader = {
    committed: () => committed,
    planned: () => planned,
    firstRetainedSeq: () => firstSeq,
    durableEnd: () => ({ telemetrySeq: nextSeq, alertIndex: alerts.length }),
    async readReadings(fromSeq, maxReadings) {
      const out: ReadingsRecord[] = [];
      let remaining = maxReadings;
      for (const r of records) {
        const end = r.firstSeq + r.readings.length;
        if (end <= fromSeq || remaining <= 0) continue;
        const start = Math.max(0, fromSeq - r.firstSeq);
        const readings = r.readings.slice(start, start + remaining);
        out.push({ ...r, firstSeq: r.firstSeq + start, readings, bytes: readings.length * 40 });
        remaining -= readings.length;
      }
      return out;
    },
    async readAlerts(fromIndex, max) {
      return alerts.slice(fromIndex, fromIndex + max);
    },
    async commit(position, plannedEnds) {
      committed = {
        telemetrySeq: Math.max(committed.telemetrySeq, position.telemetrySeq),
        alertIndex: Math.max(committed.alertIndex, position.alertIndex),
      };
      planned = (plannedEnds ?? planned).filter((e) => e > committed.telemetrySeq);
      commits.push({ position: committed, planned });
    },
    onDurable(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };

  return {
    reader,
    commits,
    appendReadings(readings: readonly UnsequencedReading[], onDurable) {
      const sequenced: Reading[] = readings.map((r, i) => ({ ...r, seq: nextSeq + i }));
      records.push({
        firstSeq: nextSeq,
        readings: sequenced,
        appendedAtMs: now(),
        bytes: readings.length * 40,
      });
      nextSeq += readings.length;
      queueMicrotask(() => onDurable(null));
      notify();
      return sequenced;
    },
    appendAlert(alert: AlertEvent, onDurable) {
      alerts.push({ index: alerts.length, alert, appendedAtMs: now() });
      queueMicrotask(() => onDurable(null));
      notify();
    },
    stats: () => ({
      records: nextSeq - committed.telemetrySeq + alerts.length - committed.alertIndex,
      bytes: 0,
      oldestAgeMs: 0,
      evictedReadings: 0,
      nextSeq,
    }),
    unsentFromSeq: () => committed.telemetrySeq,
    close: async () => {},
  };
}
