/**
 * Record bodies: readings as CBOR rows [deviceId, metric, tsMs, value] plus rxMs as a fifth
 * element when the reading has one (seqs are implicit, consecutive from the frame's firstId),
 * alerts as CBOR maps. Rows without the fifth element (older records) read as before.
 */
import type { AlertEvent, Reading } from '@edgeflow/shared';
import { Encoder } from 'cbor-x';
import { type DecodedFrame, encodeFrame, RecordKind } from './frame.ts';
import type { AlertRecord, ReadingsRecord, UnsequencedReading } from './types.ts';

type Row = [string, string, number, number] | [string, string, number, number, number];

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true });

export function encodeReadingsFrame(
  readings: readonly UnsequencedReading[],
  firstSeq: number,
  appendedAtMs: number,
): { frame: Buffer; sequenced: Reading[] } {
  const sequenced: Reading[] = new Array(readings.length);
  const rows: Row[] = new Array(readings.length);
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i] as UnsequencedReading;
    const rxMs = r.rxMs;
    if (rxMs === undefined) {
      sequenced[i] = {
        deviceId: r.deviceId,
        metric: r.metric,
        tsMs: r.tsMs,
        value: r.value,
        seq: firstSeq + i,
      };
      rows[i] = [r.deviceId, r.metric, r.tsMs, r.value];
    } else {
      sequenced[i] = {
        deviceId: r.deviceId,
        metric: r.metric,
        tsMs: r.tsMs,
        value: r.value,
        seq: firstSeq + i,
        rxMs,
      };
      rows[i] = [r.deviceId, r.metric, r.tsMs, r.value, rxMs];
    }
  }
  const frame = encodeFrame(
    { kind: RecordKind.readings, firstId: firstSeq, count: readings.length, appendedAtMs },
    cbor.encode(rows),
  );
  return { frame, sequenced };
}

export function encodeAlertFrame(alert: AlertEvent, index: number, appendedAtMs: number): Buffer {
  return encodeFrame({ kind: RecordKind.alert, firstId: index, count: 1, appendedAtMs }, cbor.encode(alert));
}

/** The readings of `frame` from seq `fromSeq`, at most `max`, below seq `limit`. */
export function decodeReadings(
  frame: DecodedFrame,
  fromSeq: number,
  max: number,
  limit: number,
): ReadingsRecord {
  const rows = cbor.decode(frame.body) as Row[];
  const start = fromSeq - frame.firstId;
  const end = Math.min(rows.length, start + max, limit - frame.firstId);
  const readings: Reading[] = new Array(Math.max(0, end - start));
  for (let i = start; i < end; i++) {
    const row = rows[i] as Row;
    const reading: Reading = {
      deviceId: row[0],
      metric: row[1],
      tsMs: row[2],
      value: row[3],
      seq: frame.firstId + i,
    };
    if (row.length === 5) reading.rxMs = row[4];
    readings[i - start] = reading;
  }
  // The record's share of its frame: an upper bound of what it adds to an encoded batch.
  const bytes = Math.ceil((frame.length * readings.length) / Math.max(1, rows.length));
  return { firstSeq: fromSeq, readings, appendedAtMs: frame.appendedAtMs, bytes };
}

export function decodeAlert(frame: DecodedFrame): AlertRecord {
  return {
    index: frame.firstId,
    alert: cbor.decode(frame.body) as AlertEvent,
    appendedAtMs: frame.appendedAtMs,
  };
}
