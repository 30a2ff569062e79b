/**
 * Topic + payload -> readings, or the reason they were rejected. Pure: the receipt time is
 * passed in, nothing is thrown for any input (untrusted bytes from the wire), and a message
 * is accepted or rejected whole, so a device never has half a multi-metric message stored.
 *
 * Accepted shapes:
 *   sensors/<deviceId>/<metric>  bare number ("21.5"), JSON {"v":21.5,"t":<ms>}, or CBOR of
 *                                either (a number, or a map with v and optional t)
 *   sensors/<deviceId>           JSON or CBOR object {<metric>: number | {v, t?}, ...}
 *
 * Text or CBOR: a payload made only of printable ASCII is read as text (a number or JSON),
 * anything else as CBOR. The only CBOR values that look like text are the one-byte
 * negative integers -1..-24 (bytes 0x20..0x37), which devices do not send alone; a CBOR
 * device sends a float or a map, whose first byte is never printable.
 */
import { isDeviceId, isMetricName, metricSpec } from '@edgeflow/shared';
import { Decoder } from 'cbor-x';
import type { UnsequencedReading } from './types.ts';

export const REJECT_REASONS = [
  'bad_topic',
  'bad_device',
  'bad_metric',
  'oversize',
  'unparsable',
  'non_finite',
  'out_of_range',
  'future_ts',
  'past_ts',
  // Not from parsing (ingest.ts): the device is over its reading rate, or holds its cap of
  // unsent readings in the outbox.
  'rate_limited',
  'outbox_quota',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface IngestLimits {
  /** Larger payloads are rejected before any decoding. */
  readonly maxPayloadBytes: number;
  /** How far ahead of the gateway clock a device timestamp may be (device clock skew). */
  readonly maxFutureSkewMs: number;
  /** How far behind the gateway clock a device timestamp may be (buffered on the device). */
  readonly maxPastAgeMs: number;
  /** Metrics in one `sensors/<deviceId>` object. */
  readonly maxMetricsPerMessage: number;
}

/** Either the readings of one message (at least one) or why the whole message was refused. */
export type ParseResult = UnsequencedReading[] | RejectReason;

const TOPIC_ROOT = 'sensors/';
// EventTimeMsSchema bounds: a timestamp outside them could never pass the reading schema.
const MIN_EVENT_MS = 946_684_800_000;
const MAX_EVENT_MS = 7_258_118_400_000;
const BARE_NUMBER = /^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$/;
const NON_FINITE_WORD = /^\s*[-+]?(?:nan|inf|infinity)\s*$/i;

// Plain objects for maps, no record extension or shared structures: device payloads are
// independent messages and must not change decoder state for the next one.
const cbor = new Decoder({ mapsAsObjects: true, useRecords: false, sequential: false });

export function parsePublish(
  topic: string,
  payload: Uint8Array,
  receivedAtMs: number,
  limits: IngestLimits,
): ParseResult {
  if (!topic.startsWith(TOPIC_ROOT)) return 'bad_topic';
  const rest = topic.slice(TOPIC_ROOT.length);
  const slash = rest.indexOf('/');
  const deviceId = slash === -1 ? rest : rest.slice(0, slash);
  if (!isDeviceId(deviceId)) return 'bad_device';
  if (payload.length > limits.maxPayloadBytes) return 'oversize';
  if (slash === -1) return parseMulti(deviceId, payload, receivedAtMs, limits);
  const metric = rest.slice(slash + 1);
  if (!isMetricName(metric)) return 'bad_metric';
  const decoded = decodePayload(payload, true);
  if (decoded === UNPARSABLE) return 'unparsable';
  const reading = toReading(deviceId, metric, decoded, receivedAtMs, limits);
  return typeof reading === 'string' ? reading : [reading];
}

function parseMulti(
  deviceId: string,
  payload: Uint8Array,
  receivedAtMs: number,
  limits: IngestLimits,
): ParseResult {
  const decoded = decodePayload(payload, false);
  if (decoded === UNPARSABLE || !isPlainRecord(decoded)) return 'unparsable';
  const metrics = Object.keys(decoded);
  if (metrics.length === 0) return 'unparsable';
  if (metrics.length > limits.maxMetricsPerMessage) return 'oversize';
  const readings: UnsequencedReading[] = [];
  for (const metric of metrics) {
    if (!isMetricName(metric)) return 'bad_metric';
    const reading = toReading(deviceId, metric, decoded[metric], receivedAtMs, limits);
    if (typeof reading === 'string') return reading;
    readings.push(reading);
  }
  return readings;
}

const UNPARSABLE: unique symbol = Symbol('unparsable');

function decodePayload(payload: Uint8Array, allowBareNumber: boolean): unknown {
  if (payload.length === 0) return UNPARSABLE;
  if (isPrintableAscii(payload)) {
    const text = Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString('latin1');
    if (allowBareNumber) {
      if (BARE_NUMBER.test(text)) return Number(text);
      if (NON_FINITE_WORD.test(text)) return Number.NaN;
    }
    try {
      return JSON.parse(text);
    } catch {
      return UNPARSABLE;
    }
  }
  try {
    return cbor.decode(payload);
  } catch {
    return UNPARSABLE;
  }
}

function toReading(
  deviceId: string,
  metric: string,
  raw: unknown,
  receivedAtMs: number,
  limits: IngestLimits,
): UnsequencedReading | RejectReason {
  let value: unknown = raw;
  let tsMs: number = receivedAtMs;
  if (isPlainRecord(raw)) {
    value = raw.v;
    const t = raw.t;
    if (t !== undefined && t !== null) {
      const tNum = typeof t === 'bigint' ? Number(t) : t;
      if (typeof tNum !== 'number') return 'unparsable';
      if (!Number.isFinite(tNum)) return 'non_finite';
      tsMs = Math.round(tNum);
      if (tsMs > receivedAtMs + limits.maxFutureSkewMs || tsMs > MAX_EVENT_MS) return 'future_ts';
      if (tsMs < receivedAtMs - limits.maxPastAgeMs || tsMs < MIN_EVENT_MS) return 'past_ts';
    }
  }
  if (typeof value === 'bigint') value = Number(value);
  if (typeof value !== 'number') return 'unparsable';
  if (!Number.isFinite(value)) return 'non_finite';
  const spec = metricSpec(metric);
  if (spec && (value < spec.min || value > spec.max)) return 'out_of_range';
  // -0 becomes 0: JSON cannot carry it, so keeping it would make the CBOR and JSON paths differ.
  const v = value === 0 ? 0 : value;
  // The receipt time travels with a device-stamped reading: rules time holds on it, so the
  // device's stamp (kept as the event time) cannot fast-forward them.
  return tsMs === receivedAtMs
    ? { deviceId, metric, tsMs, value: v }
    : { deviceId, metric, tsMs, value: v, rxMs: receivedAtMs };
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isPrintableAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    // Tab, LF and CR are allowed so pretty-printed JSON counts as text.
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b > 0x7e) return false;
  }
  return true;
}
