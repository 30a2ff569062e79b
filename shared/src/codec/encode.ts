/**
 * Batch encoder (format in format.ts). The caller is trusted: input that the decoder would
 * refuse (bad ids, out-of-range times, duplicate seqs, non-finite values, bad decimals) is a
 * caller bug and throws CODEC_UNENCODABLE rather than producing bytes nobody can read.
 *
 * Unencodable-at-resolution choice: a series whose quantized counts would exceed
 * MAX_QUANTIZED (|v * 10^d| >= 2^52, or a product that overflows to Infinity) is written to
 * the float64 column instead, so it round-trips exactly (better than the declared
 * resolution) and encoding stays total over valid readings. Non-finite values throw.
 *
 * A float series (no declared resolution, or the fallback above) still goes to the integer
 * column when that is lossless: if every value is exactly k / 10^d for some d in 0..9 (as
 * sensor readings like 12.5 or 3.14 usually are), it is stored as counts at that d and
 * decodes to the identical double. Only series with no such d pay 8 bytes per value.
 *
 * Canonical: series are ordered by their (unique) first seq, so the same readings in any
 * input order encode to the same bytes (alerts keep their given order).
 */
import { Encoder } from 'cbor-x';
import type { Reading } from '../contracts.ts';
import { ErrorCodes } from '../errors.ts';
import { isDeviceId, isGatewayId, isMetricName, isSequence } from '../ids.ts';
import { MAX_DECIMALS, metricSpec } from '../metrics.ts';
import { alertEventChecker } from '../validation.ts';
import {
  BATCH_MAJOR,
  BATCH_MINOR,
  codecError,
  FLOAT_CODE,
  KEY,
  MAX_EVENT_TIME_MS,
  MAX_QUANTIZED,
  MIN_EVENT_TIME_MS,
  RES_CODE_SLOTS,
} from './format.ts';
import type { EncodeOptions, TelemetryBatch } from './types.ts';
import { ByteWriter } from './varint.ts';

// Plain CBOR maps and untagged byte strings, so any CBOR decoder can read the envelope.
const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false });

const catalogDecimals = (metric: string): number | undefined => metricSpec(metric)?.decimals;

function unencodable(message: string): Error {
  return codecError(ErrorCodes.CODEC_UNENCODABLE, message);
}

function isEventTime(value: unknown): value is number {
  return (
    typeof value === 'number' &&
    Number.isInteger(value) &&
    value >= MIN_EVENT_TIME_MS &&
    value <= MAX_EVENT_TIME_MS
  );
}

/**
 * Encodes a batch (readings in any order) into one CBOR envelope. Values of metrics with a
 * declared resolution are stored as quantize(value, decimals); see the file comment for the
 * float fallback. Throws EdgeflowError CODEC_UNENCODABLE on input the decoder would refuse.
 */
export function encodeBatch(batch: TelemetryBatch, options: EncodeOptions = {}): Uint8Array {
  if (!isGatewayId(batch.gatewayId)) throw unencodable(`bad gatewayId ${JSON.stringify(batch.gatewayId)}`);
  // Any non-negative integer: a gateway whose clock is wrong must still be able to ship.
  if (!isSequence(batch.createdAtMs))
    throw unencodable(`createdAtMs must be a non-negative integer: ${batch.createdAtMs}`);
  const { readings, alerts } = batch;
  for (let i = 0; i < alerts.length; i++) {
    if (!alertEventChecker.check(alerts[i])) throw unencodable(`alert ${i} is not a valid AlertEvent`);
  }
  const decimalsFor = options.decimalsFor ?? catalogDecimals;

  const n = readings.length;
  // The gateway hands readings over in seq order: then no sorting is needed, and ascending
  // seqs are distinct. Anything else is sorted (and checked for duplicates) below.
  let ascending = true;
  let previousSeq = -1;
  const byDevice = new Map<string, Map<string, Reading[]>>();
  for (let i = 0; i < n; i++) {
    const r = readings[i]!;
    let byMetric = byDevice.get(r.deviceId);
    if (byMetric === undefined) {
      if (!isDeviceId(r.deviceId))
        throw unencodable(`reading ${i}: bad deviceId ${JSON.stringify(r.deviceId)}`);
      byMetric = new Map();
      byDevice.set(r.deviceId, byMetric);
    }
    let group = byMetric.get(r.metric);
    if (group === undefined) {
      if (!isMetricName(r.metric)) throw unencodable(`reading ${i}: bad metric ${JSON.stringify(r.metric)}`);
      group = [];
      byMetric.set(r.metric, group);
    }
    if (!isEventTime(r.tsMs)) throw unencodable(`reading ${i}: tsMs out of range: ${r.tsMs}`);
    if (!isSequence(r.seq)) throw unencodable(`reading ${i}: bad seq ${r.seq}`);
    if (r.rxMs !== undefined && !isEventTime(r.rxMs)) {
      throw unencodable(`reading ${i}: rxMs out of range: ${r.rxMs}`);
    }
    if (typeof r.value !== 'number' || !Number.isFinite(r.value)) {
      throw unencodable(`reading ${i}: value must be a finite number, got ${r.value}`);
    }
    if (r.seq <= previousSeq) ascending = false;
    previousSeq = r.seq;
    group.push(r);
  }
  let firstSeq = n === 0 ? 0 : readings[0]!.seq;
  let lastSeq = n === 0 ? 0 : readings[n - 1]!.seq;
  if (!ascending) {
    const seqs = Float64Array.from(readings, (r) => r.seq).sort();
    for (let i = 1; i < n; i++) {
      if (seqs[i] === seqs[i - 1]) throw unencodable(`duplicate seq ${seqs[i]}`);
    }
    firstSeq = seqs[0]!;
    lastSeq = seqs[n - 1]!;
  }

  const series: Reading[][] = [];
  for (const byMetric of byDevice.values()) {
    for (const group of byMetric.values()) {
      if (!ascending) group.sort(bySeq);
      series.push(group);
    }
  }
  // Successive series then start close together in seq and time: one-byte starts.
  series.sort((a, b) => a[0]!.seq - b[0]!.seq);

  const deviceIndex = new Map<string, number>();
  const metricIndex = new Map<string, number>();
  const resCodeByMetric = new Map<string, number>();
  const s = new ByteWriter(series.length * 3 + 16);
  const t = new ByteWriter(n * 2 + 16);
  const q = new ByteWriter(n * 2 + 16);
  const iw = new ByteWriter(n * 2 + 16);
  const x = new ByteWriter(16);
  const rw = new ByteWriter(series.length + 16);
  let receipts = false;

  let prevT0 = batch.createdAtMs;
  let prevTInterval = 0;
  let prevS0 = firstSeq;
  let prevSInterval = 0;
  for (const group of series) {
    const first = group[0]!;
    let deviceIdx = deviceIndex.get(first.deviceId);
    if (deviceIdx === undefined) {
      deviceIdx = deviceIndex.size;
      deviceIndex.set(first.deviceId, deviceIdx);
    }
    let metricIdx = metricIndex.get(first.metric);
    if (metricIdx === undefined) {
      metricIdx = metricIndex.size;
      metricIndex.set(first.metric, metricIdx);
    }
    let metricCode = resCodeByMetric.get(first.metric);
    if (metricCode === undefined) {
      metricCode = resolutionCode(first.metric, decimalsFor(first.metric));
      resCodeByMetric.set(first.metric, metricCode);
    }
    const code =
      metricCode !== FLOAT_CODE && fitsIntegerColumn(group, metricCode - 1)
        ? metricCode
        : exactDecimalCode(group);
    const count = group.length;
    s.writeUnsigned(deviceIdx);
    s.writeUnsigned(metricIdx * RES_CODE_SLOTS + code);
    s.writeUnsigned(count);

    t.writeSigned(first.tsMs - prevT0);
    q.writeUnsigned(first.seq - prevS0);
    prevT0 = first.tsMs;
    prevS0 = first.seq;
    if (count >= 2) {
      let tInterval = group[1]!.tsMs - first.tsMs;
      let sInterval = group[1]!.seq - first.seq;
      t.writeSigned(tInterval - prevTInterval);
      q.writeSigned(sInterval - prevSInterval);
      prevTInterval = tInterval;
      prevSInterval = sInterval;
      for (let k = 2; k < count; k++) {
        const r = group[k]!;
        const prev = group[k - 1]!;
        const ti = r.tsMs - prev.tsMs;
        const si = r.seq - prev.seq;
        t.writeSigned(ti - tInterval);
        q.writeSigned(si - sInterval);
        tInterval = ti;
        sInterval = si;
      }
    }

    if (hasReceipts(group)) {
      receipts = true;
      rw.writeUnsigned(1);
      let prevOffset = 0;
      for (let k = 0; k < count; k++) {
        const r = group[k]!;
        const offset = (r.rxMs ?? r.tsMs) - r.tsMs;
        rw.writeSigned(offset - prevOffset);
        prevOffset = offset;
      }
    } else {
      rw.writeUnsigned(0);
    }

    if (code === FLOAT_CODE) {
      for (let k = 0; k < count; k++) x.writeFloat64(group[k]!.value);
    } else {
      // Same expression as quantize() in metrics.ts, so decoded k / scale === quantize(v, d).
      const scale = 10 ** (code - 1);
      let prev = 0;
      for (let k = 0; k < count; k++) {
        const counts = Math.round(group[k]!.value * scale);
        iw.writeSigned(counts - prev);
        prev = counts;
      }
    }
  }

  const envelope: Record<string, unknown> = {
    [KEY.major]: BATCH_MAJOR,
    [KEY.minor]: BATCH_MINOR,
    [KEY.gatewayId]: batch.gatewayId,
    [KEY.createdAtMs]: batch.createdAtMs,
    [KEY.readingCount]: n,
    [KEY.firstSeq]: firstSeq,
    [KEY.lastSeq]: lastSeq,
    [KEY.devices]: [...deviceIndex.keys()],
    [KEY.metrics]: [...metricIndex.keys()],
    [KEY.series]: s.toBytes(),
    [KEY.timestamps]: t.toBytes(),
    [KEY.seqs]: q.toBytes(),
    [KEY.ints]: iw.toBytes(),
    [KEY.floats]: x.toBytes(),
    [KEY.alerts]: alerts,
  };
  if (receipts) envelope[KEY.receipts] = rw.toBytes();
  if (batch.health !== undefined) envelope[KEY.health] = batch.health;
  return cbor.encode(envelope);
}

/** Whether some reading of the series has a receipt time other than its event time. */
function hasReceipts(group: readonly Reading[]): boolean {
  for (let k = 0; k < group.length; k++) {
    const r = group[k]!;
    if (r.rxMs !== undefined && r.rxMs !== r.tsMs) return true;
  }
  return false;
}

function bySeq(a: Reading, b: Reading): number {
  return a.seq - b.seq;
}

function resolutionCode(metric: string, decimals: number | undefined): number {
  if (decimals === undefined) return FLOAT_CODE;
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > MAX_DECIMALS) {
    throw unencodable(`decimals for ${metric} must be an integer 0..${MAX_DECIMALS}, got ${decimals}`);
  }
  return decimals + 1;
}

/** Smallest resolution code whose integer column reproduces every value bit for bit, else FLOAT_CODE. */
function exactDecimalCode(group: readonly Reading[]): number {
  for (let d = 0; d <= MAX_DECIMALS; d++) {
    const scale = 10 ** d;
    let exact = true;
    for (const r of group) {
      const counts = Math.round(r.value * scale);
      // -0 would come back as +0, so it keeps the series in the float column.
      if (!(Math.abs(counts) <= MAX_QUANTIZED && counts / scale === r.value) || Object.is(r.value, -0)) {
        exact = false;
        break;
      }
    }
    if (exact) return d + 1;
  }
  return FLOAT_CODE;
}

function fitsIntegerColumn(group: readonly Reading[], decimals: number): boolean {
  const scale = 10 ** decimals;
  for (const r of group) {
    // NaN-safe: the negated comparison also rejects a non-finite product.
    if (!(Math.abs(Math.round(r.value * scale)) <= MAX_QUANTIZED)) return false;
  }
  return true;
}
