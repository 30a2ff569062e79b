/** fast-check arbitraries and helpers shared by the codec tests. */
import { Decoder, Encoder, type Options } from 'cbor-x';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { TelemetryBatch } from '../../src/codec/index.ts';
import type { AlertEvent, Reading } from '../../src/contracts.ts';
import { isEdgeflowError } from '../../src/errors.ts';
import { DEVICE_ID_PATTERN, GATEWAY_ID_PATTERN, METRIC_PATTERN, RULE_ID_PATTERN } from '../../src/ids.ts';
import { metricSpec, quantize } from '../../src/metrics.ts';
import { alertEventChecker, readingChecker } from '../../src/validation.ts';

export const MIN_TS = 946_684_800_000;
export const MAX_TS = 7_258_118_400_000;

export const deviceIdArb = fc.stringMatching(new RegExp(DEVICE_ID_PATTERN));
export const metricArb = fc.stringMatching(new RegExp(METRIC_PATTERN));
export const gatewayIdArb = fc.stringMatching(new RegExp(GATEWAY_ID_PATTERN));
const ruleIdArb = fc.stringMatching(new RegExp(RULE_ID_PATTERN));
const tsArb = fc.integer({ min: MIN_TS, max: MAX_TS });

/** Finite doubles: the whole range, plus sensor-like values that exercise small deltas. */
export const valueArb = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.double({ min: -1000, max: 1000, noNaN: true }),
  fc.integer({ min: -100_000, max: 100_000 }),
  fc.constantFrom(0, -0, 1e300, -1e300, 2 ** 52, 4.5e15, Number.MIN_VALUE),
);

export const alertArb: fc.Arbitrary<AlertEvent> = fc.record(
  {
    alertId: fc.string({ minLength: 1, maxLength: 200 }),
    kind: fc.constantFrom('raised', 'cleared'),
    deviceId: deviceIdArb,
    metric: metricArb,
    ruleId: ruleIdArb,
    ruleKind: fc.constantFrom('threshold', 'rate', 'stale'),
    severity: fc.constantFrom('info', 'warning', 'critical'),
    value: fc.double({ noNaN: true, noDefaultInfinity: true }),
    tsMs: tsArb,
    seq: fc.maxSafeNat(),
    source: fc.constantFrom('edge', 'cloud'),
    gatewayId: gatewayIdArb,
    message: fc.string({ maxLength: 500 }),
  },
  {
    requiredKeys: [
      'alertId',
      'kind',
      'deviceId',
      'metric',
      'ruleId',
      'ruleKind',
      'severity',
      'value',
      'tsMs',
      'seq',
      'source',
      'message',
    ],
  },
) as fc.Arbitrary<AlertEvent>;

/** A metric with its declared decimals (undefined: float column). */
export interface MetricDecl {
  metric: string;
  decimals: number | undefined;
}

const metricDeclArb: fc.Arbitrary<MetricDecl> = fc.oneof(
  fc.constantFrom(...['temperature', 'humidity', 'co2', 'battery_v', 'door']).map((metric) => ({
    metric,
    decimals: metricSpec(metric)?.decimals,
  })),
  fc.record({ metric: metricArb, decimals: fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }) }),
);

export interface BatchCase {
  batch: TelemetryBatch;
  decimals: Map<string, number | undefined>;
}

/** Seqs: anywhere in the safe range, or a contiguous block (the gateway's usual batch). */
const seqsArb = (n: number): fc.Arbitrary<number[]> =>
  fc.oneof(
    fc.uniqueArray(fc.oneof(fc.maxSafeNat(), fc.nat(5000)), { minLength: n, maxLength: n }),
    fc
      .tuple(fc.nat(Number.MAX_SAFE_INTEGER - n), fc.shuffledSubarray([...Array(n).keys()], { minLength: n }))
      .map(([base, order]) => order.map((i) => base + i)),
  );

export const batchCaseArb: fc.Arbitrary<BatchCase> = fc
  .record({
    gatewayId: gatewayIdArb,
    createdAtMs: fc.oneof(tsArb, fc.maxSafeNat()),
    devices: fc.uniqueArray(deviceIdArb, { minLength: 1, maxLength: 6 }),
    metrics: fc.uniqueArray(metricDeclArb, { minLength: 1, maxLength: 5, selector: (m) => m.metric }),
    n: fc.nat(60),
    alerts: fc.array(alertArb, { maxLength: 3 }),
    baseTs: tsArb,
  })
  .chain((c) =>
    fc
      .tuple(
        seqsArb(c.n),
        fc.array(
          fc.record({
            device: fc.nat(c.devices.length - 1),
            metric: fc.nat(c.metrics.length - 1),
            // Mostly near a base time (small deltas), sometimes anywhere in the schema range.
            tsMs: fc.oneof(
              fc.integer({ min: -5000, max: 5000 }).map((d) => clampTs(c.baseTs + d)),
              tsArb,
            ),
            value: valueArb,
          }),
          { minLength: c.n, maxLength: c.n },
        ),
      )
      .map(([seqs, rows]) => {
        const readings: Reading[] = rows.map((r, i) => ({
          deviceId: c.devices[r.device]!,
          metric: c.metrics[r.metric]!.metric,
          tsMs: r.tsMs,
          value: r.value,
          seq: seqs[i]!,
        }));
        return {
          batch: { gatewayId: c.gatewayId, createdAtMs: c.createdAtMs, readings, alerts: c.alerts },
          decimals: new Map(c.metrics.map((m) => [m.metric, m.decimals])),
        };
      }),
  );

function clampTs(ts: number): number {
  return Math.min(MAX_TS, Math.max(MIN_TS, ts));
}

/**
 * What decoding must give back: readings in seq order, values at the declared resolution.
 * A series holding a count beyond the integer column's range travels as float64 (exact).
 */
export function expectedReadings(c: BatchCase): Reading[] {
  const bySeries = new Map<string, Reading[]>();
  for (const r of c.batch.readings) {
    const key = `${r.deviceId}\u0000${r.metric}`;
    bySeries.set(key, [...(bySeries.get(key) ?? []), r]);
  }
  const out: Reading[] = [];
  for (const group of bySeries.values()) {
    const d = c.decimals.get(group[0]!.metric);
    const fits =
      d !== undefined && group.every((r) => Math.abs(Math.round(r.value * 10 ** d)) <= 2 ** 52 - 1);
    for (const r of group) {
      // The integer column has no -0: a count of 0 decodes as +0.
      const value = fits ? quantize(r.value, d) + 0 : r.value;
      out.push({ ...r, value });
    }
  }
  return out.sort((a, b) => a.seq - b.seq);
}

export const decimalsFrom =
  (c: BatchCase) =>
  (metric: string): number | undefined =>
    c.decimals.get(metric);

/** The decoder's contract on arbitrary input: a valid batch, or a CODEC_* EdgeflowError. */
export function expectValidOrCodecError(run: () => TelemetryBatch | unknown): void {
  let result: unknown;
  try {
    result = run();
  } catch (err) {
    if (
      !isEdgeflowError(err) ||
      !err.code.startsWith('EDGEFLOW_CODEC_') ||
      err.code === 'EDGEFLOW_CODEC_UNENCODABLE'
    ) {
      throw new Error(`decoder threw a non-codec error: ${String(err)}`, { cause: err });
    }
    return;
  }
  if (typeof result === 'object' && result !== null && 'readings' in result) {
    const batch = result as TelemetryBatch;
    expect(new RegExp(GATEWAY_ID_PATTERN).test(batch.gatewayId)).toBe(true);
    for (const r of batch.readings) expect(readingChecker.problems(r)).toEqual([]);
    for (const a of batch.alerts) expect(alertEventChecker.check(a)).toBe(true);
    for (let i = 1; i < batch.readings.length; i++) {
      expect(batch.readings[i]!.seq).toBeGreaterThan(batch.readings[i - 1]!.seq);
    }
  }
}

const rawEncoder = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false });
const rawDecoder = new Decoder({
  useRecords: false,
  mapsAsObjects: true,
  int64AsNumber: true,
} as Options & { int64AsNumber: boolean });

/** Decode the envelope, let `edit` change it, encode it again: for targeted bad inputs. */
export function editEnvelope(bytes: Uint8Array, edit: (env: Record<string, unknown>) => void): Uint8Array {
  const env = rawDecoder.decode(bytes) as Record<string, unknown>;
  edit(env);
  return rawEncoder.encode(env);
}

export function encodeRaw(value: unknown): Uint8Array {
  return rawEncoder.encode(value);
}
