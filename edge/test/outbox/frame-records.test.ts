/**
 * The outbox log's framing and record bodies on their own: every check parseFrame makes on
 * bytes read back after a crash (short, length bounds, CRC, kind) at its exact edge, and
 * the window decodeReadings cuts from a record (from, max, limit).
 */
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeFrame,
  FRAME_HEADER_BYTES,
  MAX_PAYLOAD_BYTES,
  PAYLOAD_HEADER_BYTES,
  parseFrame,
  RecordKind,
} from '../../src/outbox/frame.ts';
import {
  decodeAlert,
  decodeReadings,
  encodeAlertFrame,
  encodeReadingsFrame,
} from '../../src/outbox/records.ts';

const T0 = 1_780_000_000_000;
const header = { kind: RecordKind.readings, firstId: 7, count: 2, appendedAtMs: T0 } as const;

/** A frame with the given payload length field and kind, its CRC made valid again. */
function forged(payloadLength: number, kind: number, bodyBytes = 0): Buffer {
  const frame = Buffer.alloc(FRAME_HEADER_BYTES + PAYLOAD_HEADER_BYTES + bodyBytes);
  frame.writeUInt32LE(payloadLength, 0);
  frame.writeUInt8(kind, 8);
  frame.writeUInt32LE(crc32(frame.subarray(FRAME_HEADER_BYTES)), 4);
  return frame;
}

describe('parseFrame', () => {
  it('reads back what encodeFrame wrote, at any offset', () => {
    const body = Buffer.from([1, 2, 3]);
    const frame = encodeFrame(header, body);
    expect(frame.length).toBe(FRAME_HEADER_BYTES + PAYLOAD_HEADER_BYTES + 3);
    const buf = Buffer.concat([Buffer.from([9, 9]), frame, Buffer.from([0])]);
    const parsed = parseFrame(buf, 2);
    expect(parsed).toEqual({
      ok: true,
      frame: { ...header, offset: 2, length: frame.length, body },
    });
  });

  it('asks for the frame header, then for the whole frame, on every proper prefix', () => {
    const frame = encodeFrame(header, Buffer.from([1, 2, 3]));
    for (let len = 0; len < frame.length; len++) {
      const need = len < FRAME_HEADER_BYTES ? FRAME_HEADER_BYTES : frame.length;
      expect(parseFrame(frame.subarray(0, len), 0)).toEqual({ ok: false, reason: 'short', need });
    }
  });

  it('accepts the payload length bounds exactly and refuses one past either', () => {
    expect(parseFrame(forged(PAYLOAD_HEADER_BYTES, RecordKind.alert), 0)).toMatchObject({ ok: true });
    expect(parseFrame(forged(PAYLOAD_HEADER_BYTES - 1, RecordKind.alert), 0)).toEqual({
      ok: false,
      reason: 'corrupt',
    });
    // Over the bound is corruption, not a frame to wait for.
    expect(parseFrame(forged(MAX_PAYLOAD_BYTES + 1, RecordKind.alert), 0)).toEqual({
      ok: false,
      reason: 'corrupt',
    });
    expect(parseFrame(forged(MAX_PAYLOAD_BYTES, RecordKind.alert), 0)).toEqual({
      ok: false,
      reason: 'short',
      need: FRAME_HEADER_BYTES + MAX_PAYLOAD_BYTES,
    });
  });

  it('refuses unknown kinds even under a valid CRC', () => {
    for (const kind of [0, 3, 255])
      expect(parseFrame(forged(PAYLOAD_HEADER_BYTES, kind), 0)).toEqual({ ok: false, reason: 'corrupt' });
    expect(parseFrame(forged(PAYLOAD_HEADER_BYTES, RecordKind.readings), 0)).toMatchObject({ ok: true });
  });

  it('property: any single flipped payload or CRC bit is corruption', () => {
    const frame = encodeFrame(header, Buffer.from('payload bytes'));
    fc.assert(
      fc.property(
        fc.integer({ min: 4, max: frame.length - 1 }),
        fc.integer({ min: 0, max: 7 }),
        (at, bit) => {
          const copy = Buffer.from(frame);
          copy[at] = (copy[at] as number) ^ (1 << bit);
          expect(parseFrame(copy, 0)).toEqual({ ok: false, reason: 'corrupt' });
        },
      ),
      { seed: 0x0b0c, numRuns: 300 },
    );
  });
});

describe('record bodies', () => {
  const readings = [0, 1, 2, 3].map((i) => ({ deviceId: 'dev-1', metric: 'co2', tsMs: T0 + i, value: i }));
  const stamped = [...readings.slice(0, 3), { ...readings[3]!, rxMs: T0 + 100 }];
  const { frame, sequenced } = encodeReadingsFrame(stamped, 10, T0);
  const parsed = parseFrame(frame, 0);
  if (!parsed.ok) throw new Error('fixture frame does not parse');

  it('numbers readings from the first seq and keeps a receipt time as the fifth element', () => {
    expect(sequenced.map((r) => r.seq)).toEqual([10, 11, 12, 13]);
    expect(sequenced[3]).toEqual({ ...readings[3], seq: 13, rxMs: T0 + 100 });
    expect(parsed.frame).toMatchObject({
      kind: RecordKind.readings,
      firstId: 10,
      count: 4,
      appendedAtMs: T0,
    });
    expect(decodeReadings(parsed.frame, 10, 10, 100).readings).toEqual(sequenced);
  });

  it('cuts the window at fromSeq, max and limit, and charges the window its share of the frame', () => {
    const window = (from: number, max: number, limit: number) =>
      decodeReadings(parsed.frame, from, max, limit);
    expect(window(11, 2, 100)).toEqual({
      firstSeq: 11,
      readings: sequenced.slice(1, 3),
      appendedAtMs: T0,
      bytes: Math.ceil((frame.length * 2) / 4),
    });
    expect(window(10, 10, 13).readings.map((r) => r.seq)).toEqual([10, 11, 12]);
    expect(window(13, 1, 14).readings).toEqual([sequenced[3]]);
    expect(window(12, 10, 12)).toMatchObject({ readings: [], bytes: 0 });
    expect(window(10, 4, 14).bytes).toBe(frame.length);
  });

  it('an alert record keeps its lane index and body', () => {
    const alert = { alertId: 'a-1' } as never;
    const bytes = encodeAlertFrame(alert, 42, T0 + 5);
    const p = parseFrame(bytes, 0);
    if (!p.ok) throw new Error('alert frame does not parse');
    expect(p.frame).toMatchObject({ kind: RecordKind.alert, firstId: 42, count: 1 });
    expect(decodeAlert(p.frame)).toEqual({ index: 42, alert: { alertId: 'a-1' }, appendedAtMs: T0 + 5 });
  });
});
