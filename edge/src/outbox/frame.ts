/**
 * Record framing of the outbox log. A frame is
 *   u32 payloadLength | u32 crc32(payload) | payload
 * and a payload starts with a fixed header the reader can skip on without decoding:
 *   u8 kind | f64 firstId | u32 count | f64 appendedAtMs | cbor body
 * (little endian). firstId is the first reading's seq (telemetry) or the alert's lane index.
 * A torn write after kill -9 shows up as a short frame or a CRC mismatch at the tail and is
 * cut off on open; frames before it were fsynced and are intact.
 */
import { crc32 } from 'node:zlib';

export const FRAME_HEADER_BYTES = 8;
export const PAYLOAD_HEADER_BYTES = 21;
/** Longest payload accepted when reading back; anything longer is treated as corruption. */
export const MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;

export const RecordKind = { readings: 1, alert: 2 } as const;
export type RecordKindValue = (typeof RecordKind)[keyof typeof RecordKind];

export interface FrameHeader {
  readonly kind: RecordKindValue;
  readonly firstId: number;
  readonly count: number;
  readonly appendedAtMs: number;
}

export function encodeFrame(header: FrameHeader, body: Uint8Array): Buffer {
  const payloadLength = PAYLOAD_HEADER_BYTES + body.byteLength;
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payloadLength);
  frame.writeUInt32LE(payloadLength, 0);
  frame.writeUInt8(header.kind, 8);
  frame.writeDoubleLE(header.firstId, 9);
  frame.writeUInt32LE(header.count, 17);
  frame.writeDoubleLE(header.appendedAtMs, 21);
  frame.set(body, FRAME_HEADER_BYTES + PAYLOAD_HEADER_BYTES);
  frame.writeUInt32LE(crc32(frame.subarray(FRAME_HEADER_BYTES)), 4);
  return frame;
}

export interface DecodedFrame extends FrameHeader {
  /** Offset of the frame in the buffer it was parsed from. */
  readonly offset: number;
  /** Whole frame length (header + payload). */
  readonly length: number;
  readonly body: Buffer;
}

export type ParseResult =
  | { readonly ok: true; readonly frame: DecodedFrame }
  /** Not enough bytes yet for the frame starting at offset (need `need` bytes in total). */
  | { readonly ok: false; readonly reason: 'short'; readonly need: number }
  | { readonly ok: false; readonly reason: 'corrupt' };

/** Parses the frame at `offset` of `buf`, checking length sanity and CRC. */
export function parseFrame(buf: Buffer, offset: number): ParseResult {
  if (buf.length - offset < FRAME_HEADER_BYTES)
    return { ok: false, reason: 'short', need: FRAME_HEADER_BYTES };
  const payloadLength = buf.readUInt32LE(offset);
  if (payloadLength < PAYLOAD_HEADER_BYTES || payloadLength > MAX_PAYLOAD_BYTES) {
    return { ok: false, reason: 'corrupt' };
  }
  const length = FRAME_HEADER_BYTES + payloadLength;
  if (buf.length - offset < length) return { ok: false, reason: 'short', need: length };
  const payload = buf.subarray(offset + FRAME_HEADER_BYTES, offset + length);
  if (crc32(payload) !== buf.readUInt32LE(offset + 4)) return { ok: false, reason: 'corrupt' };
  const kind = payload.readUInt8(0);
  if (kind !== RecordKind.readings && kind !== RecordKind.alert) return { ok: false, reason: 'corrupt' };
  return {
    ok: true,
    frame: {
      kind,
      firstId: payload.readDoubleLE(1),
      count: payload.readUInt32LE(9),
      appendedAtMs: payload.readDoubleLE(13),
      offset,
      length,
      body: payload.subarray(PAYLOAD_HEADER_BYTES),
    },
  };
}
