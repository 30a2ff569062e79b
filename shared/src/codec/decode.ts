/**
 * Batch decoder for untrusted bytes (format in format.ts). Contract: it returns a batch whose
 * every reading passes `readingChecker` and every alert `alertEventChecker`, or throws an
 * EdgeflowError with a CODEC_* code; nothing else escapes (a last-resort catch maps any
 * unexpected failure to CODEC_MALFORMED).
 *
 * Validity is established by construction instead of running the schema per reading: ids
 * are checked once in the dictionaries, and each decoded time, seq and value is range
 * checked in the column loop, which keeps decoding at millions of readings per second.
 */
import { Decoder, type Options } from 'cbor-x';
import type { AlertEvent, Reading } from '../contracts.ts';
import { EdgeflowError, type ErrorCode, ErrorCodes } from '../errors.ts';
import { pickGatewayHealth } from '../gateway-health.ts';
import { isDeviceId, isGatewayId, isMetricName, isSequence } from '../ids.ts';
import { MAX_DECIMALS } from '../metrics.ts';
import { alertEventChecker } from '../validation.ts';
import {
  BATCH_MAJOR,
  codecError,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_READINGS,
  FLOAT_CODE,
  KEY,
  MAX_EVENT_TIME_MS,
  MIN_EVENT_TIME_MS,
  RES_CODE_SLOTS,
} from './format.ts';
import type { BatchHeader, DecodeLimits, TelemetryBatch } from './types.ts';
import { ColumnReader } from './varint.ts';

// int64AsNumber (supported by cbor-x, missing from its typings): 64-bit integers come back as
// numbers, never BigInt, and are range checked here.
const decoderOptions: Options & { int64AsNumber: boolean } = {
  // Stryker disable next-line BooleanLiteral: cbor-x decodes record tags whatever this flag (it governs encoding)
  useRecords: false,
  mapsAsObjects: true,
  // Stryker disable next-line BooleanLiteral: a safe 64-bit integer comes back a number either way; an unsafe one fails isCount/isSequence as a number or a BigInt
  int64AsNumber: true,
};
const cbor = new Decoder(decoderOptions);

type Envelope = Record<string, unknown>;

const NO_BYTES = new Uint8Array(0);

/** Slot placement (O(n), no sort) when the seq range is at most this many times the count. */
const SLOT_RANGE_FACTOR = 4;

/**
 * Decodes and validates one batch from untrusted bytes. Readings come back in seq order, with
 * values at their series' resolution (count / 10^d). Throws only EdgeflowError CODEC_*:
 * TRUNCATED, OVERSIZE (input > maxBytes; declared count > maxReadings or more than the bytes
 * can hold), UNKNOWN_MAJOR, COUNT_MISMATCH, NON_FINITE, BAD_ID, MALFORMED (not CBOR, wrong
 * shape or types, trailing column bytes, seq or time out of range, duplicate seq, bad alert).
 */
export function decodeBatch(bytes: Uint8Array, limits: DecodeLimits = {}): TelemetryBatch {
  try {
    return decodeUnguarded(bytes, limits);
  } catch (err) {
    throw asCodecError(err);
  }
}

/**
 * Reads only the envelope (no column decoding, no per-reading work): for routing, logging and
 * dedup before a full decode. Same error contract as decodeBatch with the default limits.
 */
export function peekBatchHeader(bytes: Uint8Array): BatchHeader {
  try {
    return readHeader(readEnvelope(bytes, DEFAULT_MAX_BYTES), DEFAULT_MAX_READINGS);
  } catch (err) {
    throw asCodecError(err);
  }
}

function asCodecError(err: unknown): EdgeflowError {
  if (err instanceof EdgeflowError) return err;
  return codecError(ErrorCodes.CODEC_MALFORMED, `unexpected decoder failure: ${String(err)}`, err);
}

function fail(code: ErrorCode, message: string): never {
  throw codecError(code, message);
}

function field(env: Envelope, key: string): unknown {
  return Object.hasOwn(env, key) ? env[key] : undefined;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function readEnvelope(bytes: Uint8Array, maxBytes: number): Envelope {
  if (!(bytes instanceof Uint8Array)) fail(ErrorCodes.CODEC_MALFORMED, 'input is not a Uint8Array');
  if (bytes.length > maxBytes) fail(ErrorCodes.CODEC_OVERSIZE, `${bytes.length} bytes exceeds ${maxBytes}`);
  if (bytes.length === 0) fail(ErrorCodes.CODEC_TRUNCATED, 'empty input');
  let root: unknown;
  try {
    root = cbor.decode(bytes);
  } catch (err) {
    // cbor-x flags a premature end with `incomplete`; anything else is not well-formed CBOR.
    const incomplete =
      typeof err === 'object' && err !== null && (err as { incomplete?: unknown }).incomplete;
    throw codecError(
      incomplete ? ErrorCodes.CODEC_TRUNCATED : ErrorCodes.CODEC_MALFORMED,
      `envelope is not valid CBOR: ${err instanceof Error ? err.message : String(err)}`,
      err,
    );
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root) || ArrayBuffer.isView(root)) {
    fail(ErrorCodes.CODEC_MALFORMED, 'envelope is not a CBOR map');
  }
  if (root instanceof Map) fail(ErrorCodes.CODEC_MALFORMED, 'envelope has non-string keys');
  return root as Envelope;
}

function readHeader(env: Envelope, maxReadings: number): BatchHeader {
  const major = field(env, KEY.major);
  if (!isCount(major)) fail(ErrorCodes.CODEC_MALFORMED, 'missing or invalid major version');
  if (major !== BATCH_MAJOR)
    fail(ErrorCodes.CODEC_UNKNOWN_MAJOR, `major version ${major}, expected ${BATCH_MAJOR}`);
  const minor = field(env, KEY.minor);
  if (!isCount(minor)) fail(ErrorCodes.CODEC_MALFORMED, 'missing or invalid minor version');
  const gatewayId = field(env, KEY.gatewayId);
  if (typeof gatewayId !== 'string') fail(ErrorCodes.CODEC_MALFORMED, 'missing gateway id');
  if (!isGatewayId(gatewayId)) fail(ErrorCodes.CODEC_BAD_ID, `bad gateway id ${JSON.stringify(gatewayId)}`);
  const readingCount = field(env, KEY.readingCount);
  if (!isCount(readingCount)) fail(ErrorCodes.CODEC_MALFORMED, 'missing or invalid reading count');
  if (readingCount > maxReadings) {
    fail(ErrorCodes.CODEC_OVERSIZE, `declares ${readingCount} readings, limit ${maxReadings}`);
  }
  const firstSeq = field(env, KEY.firstSeq);
  const lastSeq = field(env, KEY.lastSeq);
  if (!isSequence(firstSeq) || !isSequence(lastSeq) || firstSeq > lastSeq) {
    fail(ErrorCodes.CODEC_MALFORMED, 'missing or invalid seq range');
  }
  if (readingCount === 0 ? lastSeq !== 0 : lastSeq - firstSeq + 1 < readingCount) {
    fail(
      ErrorCodes.CODEC_COUNT_MISMATCH,
      `${readingCount} readings cannot have seqs ${firstSeq}..${lastSeq}`,
    );
  }
  return { major, minor, gatewayId, readingCount, firstSeq, lastSeq };
}

function readIds(env: Envelope, key: string, what: string, isValid: (v: unknown) => boolean): string[] {
  const ids = field(env, key);
  if (!Array.isArray(ids)) fail(ErrorCodes.CODEC_MALFORMED, `missing ${what} dictionary`);
  for (let i = 0; i < ids.length; i++) {
    const id: unknown = ids[i];
    if (typeof id !== 'string') fail(ErrorCodes.CODEC_MALFORMED, `${what} ${i} is not a string`);
    if (!isValid(id)) fail(ErrorCodes.CODEC_BAD_ID, `bad ${what} ${JSON.stringify(id)}`);
  }
  return ids as string[];
}

function readColumn(env: Envelope, key: string): Uint8Array {
  const bytes = field(env, key);
  if (!(bytes instanceof Uint8Array)) fail(ErrorCodes.CODEC_MALFORMED, `column ${key} is not a byte string`);
  return bytes;
}

function readAlerts(env: Envelope): AlertEvent[] {
  const alerts = field(env, KEY.alerts);
  if (!Array.isArray(alerts)) fail(ErrorCodes.CODEC_MALFORMED, 'missing alerts');
  // Stryker disable next-line ArrayDeclaration: presizing only; every index is assigned below
  const out: AlertEvent[] = new Array(alerts.length);
  for (let i = 0; i < alerts.length; i++) {
    const alert: unknown = alerts[i];
    if (!alertEventChecker.check(alert))
      fail(ErrorCodes.CODEC_MALFORMED, `alert ${i} is not a valid AlertEvent`);
    out[i] = { ...alert };
  }
  return out;
}

function decodeUnguarded(bytes: Uint8Array, limits: DecodeLimits): TelemetryBatch {
  const env = readEnvelope(bytes, limits.maxBytes ?? DEFAULT_MAX_BYTES);
  const header = readHeader(env, limits.maxReadings ?? DEFAULT_MAX_READINGS);
  const createdAtMs = field(env, KEY.createdAtMs);
  if (!isSequence(createdAtMs)) fail(ErrorCodes.CODEC_MALFORMED, 'missing or invalid createdAtMs');
  const devices = readIds(env, KEY.devices, 'device id', isDeviceId);
  const metrics = readIds(env, KEY.metrics, 'metric', isMetricName);
  const s = readColumn(env, KEY.series);
  const t = readColumn(env, KEY.timestamps);
  const q = readColumn(env, KEY.seqs);
  const ints = readColumn(env, KEY.ints);
  const floats = readColumn(env, KEY.floats);
  const alerts = readAlerts(env);
  // Since 1.1; absent in batches that carry no receipt times (and in every 1.0 batch).
  const receipts = field(env, KEY.receipts) === undefined ? undefined : readColumn(env, KEY.receipts);
  const n = header.readingCount;
  // Every reading costs at least one byte of t, of q, and of i or eight of x: refuse counts
  // the bytes cannot hold before allocating anything sized by them.
  if (n > t.length || n > q.length || n > ints.length + Math.floor(floats.length / 8)) {
    fail(ErrorCodes.CODEC_OVERSIZE, `declares ${n} readings, more than the columns can hold`);
  }
  const readings = decodeColumns(header, createdAtMs, devices, metrics, s, t, q, ints, floats, receipts);
  const batch: TelemetryBatch = { gatewayId: header.gatewayId, createdAtMs, readings, alerts };
  const rawHealth = field(env, KEY.health);
  if (rawHealth !== undefined) {
    const health = pickGatewayHealth(rawHealth);
    if (health === undefined) batch.healthRejected = true;
    else batch.health = health;
  }
  return batch;
}

function decodeColumns(
  header: BatchHeader,
  createdAtMs: number,
  devices: readonly string[],
  metrics: readonly string[],
  s: Uint8Array,
  t: Uint8Array,
  q: Uint8Array,
  ints: Uint8Array,
  floats: Uint8Array,
  receipts: Uint8Array | undefined,
): Reading[] {
  const n = header.readingCount;
  const floatCount = scanSeries(s, n, devices.length, metrics.length);
  if (floats.length < floatCount * 8 || ints.length < n - floatCount) {
    fail(ErrorCodes.CODEC_COUNT_MISMATCH, 'a value column holds fewer values than the series counts declare');
  }
  const firstSeq = header.firstSeq;
  const lastSeq = header.lastSeq;
  // Stryker disable next-line ConditionalExpression: n 0 has the header range 0..0 and no series, so either path returns []
  const range = n === 0 ? 0 : lastSeq - firstSeq + 1;
  const slotted = range <= n * SLOT_RANGE_FACTOR;
  // Slotted: out[seq - firstSeq] (no sort; collisions are duplicates). Else series order, sorted after.
  const out: (Reading | undefined)[] = new Array(slotted ? range : n);
  const sr = new ColumnReader(s);
  const tr = new ColumnReader(t);
  const qr = new ColumnReader(q);
  const ir = new ColumnReader(ints);
  const xr = new ColumnReader(floats);
  const rr = new ColumnReader(receipts ?? NO_BYTES);
  // On any anomaly a reader that ran dry explains it better than the garbage it produced.
  const explain = (code: ErrorCode, message: string): never => {
    if ((tr.failed | qr.failed | ir.failed | xr.failed | rr.failed) !== 0) {
      fail(ErrorCodes.CODEC_COUNT_MISMATCH, 'a column holds fewer values than the series counts declare');
    }
    return fail(code, message);
  };

  let filled = 0;
  let prevT0 = createdAtMs;
  let prevTInterval = 0;
  let prevS0 = firstSeq;
  let prevSInterval = 0;
  while (!sr.atEnd) {
    // scanSeries vetted every header, so these reads cannot fail or point outside the dictionaries.
    const deviceIdx = sr.readUnsigned();
    const key = sr.readUnsigned();
    const count = sr.readUnsigned();
    const metricIdx = Math.floor(key / RES_CODE_SLOTS);
    const code = key % RES_CODE_SLOTS;
    const deviceId = devices[deviceIdx]!;
    const metric = metrics[metricIdx]!;
    // Read by the integer branch only (1 + d is decimals d).
    const scale = 10 ** (code - 1);
    let tsMs = prevT0 + tr.readSigned();
    let seq = prevS0 + qr.readUnsigned();
    prevT0 = tsMs;
    prevS0 = seq;
    let tInterval = 0;
    let sInterval = 1;
    let counts = 0;
    const receiptFlag = receipts === undefined ? 0 : rr.readUnsigned();
    if (receiptFlag > 1)
      explain(ErrorCodes.CODEC_MALFORMED, `${deviceId}/${metric}: receipt flag ${receiptFlag}`);
    const stamped = receiptFlag === 1;
    let rxOffset = 0;
    for (let k = 0; k < count; k++) {
      if (k === 1) {
        tInterval = prevTInterval + tr.readSigned();
        sInterval = prevSInterval + qr.readSigned();
        prevTInterval = tInterval;
        prevSInterval = sInterval;
        tsMs += tInterval;
        seq += sInterval;
      } else if (k !== 0) {
        tInterval += tr.readSigned();
        sInterval += qr.readSigned();
        tsMs += tInterval;
        seq += sInterval;
      }
      let value: number;
      if (code === FLOAT_CODE) {
        value = xr.readFloat64();
        if (!Number.isFinite(value))
          explain(ErrorCodes.CODEC_NON_FINITE, `${deviceId}/${metric}: value ${value}`);
      } else {
        counts += ir.readSigned();
        value = counts / scale;
      }
      if (!(tsMs >= MIN_EVENT_TIME_MS && tsMs <= MAX_EVENT_TIME_MS)) {
        explain(ErrorCodes.CODEC_MALFORMED, `${deviceId}/${metric}: tsMs ${tsMs} out of range`);
      }
      // Within a series seqs strictly increase; an interval <= 0 would repeat or reorder one.
      // No seq is below firstSeq: series starts add unsigned deltas to it, and each later seq an
      // interval this test requires to be >= 1.
      if (!(seq <= lastSeq && sInterval >= 1)) {
        explain(
          ErrorCodes.CODEC_MALFORMED,
          `${deviceId}/${metric}: seq ${seq} repeats or is outside the range`,
        );
      }
      const reading: Reading = { deviceId, metric, tsMs, value, seq };
      if (stamped) {
        rxOffset += rr.readSigned();
        if (rxOffset !== 0) {
          const rxMs = tsMs + rxOffset;
          if (!(rxMs >= MIN_EVENT_TIME_MS && rxMs <= MAX_EVENT_TIME_MS)) {
            explain(ErrorCodes.CODEC_MALFORMED, `${deviceId}/${metric}: rxMs ${rxMs} out of range`);
          }
          reading.rxMs = rxMs;
        }
      }
      if (slotted) {
        const slot = seq - firstSeq;
        if (out[slot] !== undefined) explain(ErrorCodes.CODEC_MALFORMED, `duplicate seq ${seq}`);
        out[slot] = reading;
      } else {
        out[filled] = reading;
      }
      filled++;
    }
    if ((tr.failed | qr.failed | ir.failed | xr.failed | rr.failed) !== 0) {
      fail(ErrorCodes.CODEC_COUNT_MISMATCH, 'a column holds fewer values than the series counts declare');
    }
  }
  if (filled !== n)
    fail(ErrorCodes.CODEC_COUNT_MISMATCH, `series hold ${filled} readings, header declares ${n}`);
  if (!tr.atEnd || !qr.atEnd || !ir.atEnd || !xr.atEnd || !rr.atEnd) {
    fail(ErrorCodes.CODEC_MALFORMED, 'trailing bytes after the last series in a column');
  }
  if (slotted) return range === n ? (out as Reading[]) : compact(out, n);
  const readings = out as Reading[];
  readings.sort(bySeq);
  for (let i = 1; i < n; i++) {
    if (readings[i]!.seq === readings[i - 1]!.seq)
      fail(ErrorCodes.CODEC_MALFORMED, `duplicate seq ${readings[i]!.seq}`);
  }
  if (n > 0 && (readings[0]!.seq !== firstSeq || readings[n - 1]!.seq !== lastSeq)) {
    fail(ErrorCodes.CODEC_MALFORMED, 'seq range in the header does not match the readings');
  }
  return readings;
}

/**
 * Vets the series column before any reading is built: every header complete, in dictionary
 * range, with a known resolution and a count >= 1, the counts summing to `n`. Returns how
 * many readings use the float column.
 */
function scanSeries(s: Uint8Array, n: number, deviceCount: number, metricCount: number): number {
  const sr = new ColumnReader(s);
  let total = 0;
  let floatCount = 0;
  while (!sr.atEnd) {
    const deviceIdx = sr.readUnsigned();
    const key = sr.readUnsigned();
    const count = sr.readUnsigned();
    if (sr.failed !== 0) fail(ErrorCodes.CODEC_MALFORMED, 'series column ends inside a series header');
    if (deviceIdx >= deviceCount || Math.floor(key / RES_CODE_SLOTS) >= metricCount) {
      fail(ErrorCodes.CODEC_MALFORMED, 'series refers to a dictionary entry that does not exist');
    }
    const code = key % RES_CODE_SLOTS;
    if (code > MAX_DECIMALS + 1) fail(ErrorCodes.CODEC_MALFORMED, `unknown resolution code ${code}`);
    if (count === 0) fail(ErrorCodes.CODEC_MALFORMED, 'empty series');
    total += count;
    if (total > n) fail(ErrorCodes.CODEC_COUNT_MISMATCH, `series hold more than the declared ${n} readings`);
    if (code === FLOAT_CODE) floatCount += count;
  }
  if (total !== n)
    fail(ErrorCodes.CODEC_COUNT_MISMATCH, `series hold ${total} readings, header declares ${n}`);
  return floatCount;
}

function compact(slots: readonly (Reading | undefined)[], n: number): Reading[] {
  if (slots[0] === undefined || slots[slots.length - 1] === undefined) {
    fail(ErrorCodes.CODEC_MALFORMED, 'seq range in the header does not match the readings');
  }
  // Stryker disable next-line ArrayDeclaration: presizing only; exactly n slots are filled
  const out: Reading[] = new Array(n);
  let j = 0;
  for (const r of slots) if (r !== undefined) out[j++] = r;
  return out;
}

function bySeq(a: Reading, b: Reading): number {
  return a.seq - b.seq;
}
