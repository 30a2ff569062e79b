/** The outbox's read side for the forwarder: durable records only, in lane order. */
import type { Lane } from './lane.ts';
import type { PositionStore } from './position.ts';
import { decodeAlert, decodeReadings } from './records.ts';
import type { AlertRecord, OutboxReader, ReadingsRecord } from './types.ts';

export function createReader(parts: {
  readonly telemetry: Lane;
  readonly alerts: Lane;
  readonly positions: PositionStore;
  readonly listeners: Set<() => void>;
  /** Told the seq after the last reading handed out (eviction does not count those as lost). */
  readonly handedOut: (seq: number) => void;
}): OutboxReader {
  const { telemetry, alerts, positions, listeners } = parts;
  return {
    committed: () => ({
      telemetrySeq: positions.current.telemetrySeq,
      alertIndex: positions.current.alertIndex,
    }),
    planned: () => positions.current.plannedTelemetryEnds,
    durableEnd: () => ({ telemetrySeq: telemetry.durableId, alertIndex: alerts.durableId }),
    firstRetainedSeq: () => telemetry.firstRetainedId(),
    async readReadings(fromSeq, maxReadings) {
      const out: ReadingsRecord[] = [];
      let remaining = maxReadings;
      const limit = telemetry.durableId;
      if (remaining <= 0 || fromSeq >= limit) return out;
      await telemetry.read(fromSeq, (frame) => {
        if (frame.firstId >= limit) return true;
        const record = decodeReadings(frame, Math.max(fromSeq, frame.firstId), remaining, limit);
        out.push(record);
        remaining -= record.readings.length;
        fromSeq = record.firstSeq + record.readings.length;
        return remaining <= 0 || fromSeq >= limit;
      });
      if (out.length > 0) parts.handedOut(fromSeq);
      return out;
    },
    async readAlerts(fromIndex, max) {
      const out: AlertRecord[] = [];
      const limit = alerts.durableId;
      if (max <= 0 || fromIndex >= limit) return out;
      await alerts.read(fromIndex, (frame) => {
        if (frame.firstId >= limit) return true;
        if (frame.firstId >= fromIndex) out.push(decodeAlert(frame));
        return out.length >= max || frame.firstId + 1 >= limit;
      });
      return out;
    },
    commit: (position, plannedTelemetryEnds) => positions.commit(position, plannedTelemetryEnds),
    onDurable(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
