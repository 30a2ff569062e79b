/**
 * GCP cost per million readings from measured counts and the list prices in prices.ts.
 * Pure: the benchmark measures, this prices. The same model prices the naive design (one
 * message, one invocation, one document per reading) so the two are comparable line by line.
 */
import type { FunctionSize, PriceTable } from './prices.ts';

const BYTES_PER_TIB = 2 ** 40;
const MILLION = 1_000_000;

/** What a run consumed in the cloud, for `readings` readings. */
export interface CloudUsage {
  readonly readings: number;
  /** Pub/Sub bytes as billed: publish plus every push delivery, each request at least the minimum. */
  readonly pubsubBilledBytes: number;
  readonly invocations: number;
  /** Instance time as billed: each invocation rounded up to the billing granularity. */
  readonly billedInstanceSeconds: number;
  readonly firestoreWrites: number;
  readonly firestoreReads: number;
}

/** USD per million readings, by line. */
export interface CostPerMillion {
  readonly pubsub: number;
  readonly invocations: number;
  readonly cpu: number;
  readonly memory: number;
  readonly firestoreWrites: number;
  readonly firestoreReads: number;
  readonly total: number;
}

/** Bytes Pub/Sub bills for these requests (publish or push), each at least the minimum. */
export function billedRequestBytes(requestBytes: readonly number[], minBytesPerRequest: number): number {
  let sum = 0;
  for (const b of requestBytes) sum += Math.max(minBytesPerRequest, b);
  return sum;
}

/** Pub/Sub bytes billed for messages published once and pushed to `subscriptions` subscribers. */
export function pubsubBilledBytes(
  messageBytes: readonly number[],
  subscriptions: number,
  minBytesPerRequest: number,
): number {
  return billedRequestBytes(messageBytes, minBytesPerRequest) * (1 + subscriptions);
}

/** Instance seconds billed for invocations of these durations (each rounded up, never below one unit). */
export function billedInstanceSeconds(invocationMs: readonly number[], granularityMs: number): number {
  let units = 0;
  for (const ms of invocationMs) units += Math.max(1, Math.ceil(ms / granularityMs));
  return (units * granularityMs) / 1000;
}

export function costPerMillion(usage: CloudUsage, prices: PriceTable, size: FunctionSize): CostPerMillion {
  if (!(usage.readings > 0))
    throw new RangeError(`usage must cover at least one reading, got ${usage.readings}`);
  const scale = MILLION / usage.readings;
  const f = prices.functions;
  const pubsub = ((usage.pubsubBilledBytes * scale) / BYTES_PER_TIB) * prices.pubsub.usdPerTiB;
  const invocations = ((usage.invocations * scale) / MILLION) * f.usdPerMillionInvocations;
  const cpu = usage.billedInstanceSeconds * scale * size.vcpu * f.usdPerVcpuSecond;
  const memory = usage.billedInstanceSeconds * scale * size.memoryGiB * f.usdPerGiBSecond;
  const firestoreWrites = ((usage.firestoreWrites * scale) / 100_000) * prices.firestore.usdPer100kWrites;
  const firestoreReads = ((usage.firestoreReads * scale) / 100_000) * prices.firestore.usdPer100kReads;
  return {
    pubsub,
    invocations,
    cpu,
    memory,
    firestoreWrites,
    firestoreReads,
    total: pubsub + invocations + cpu + memory + firestoreWrites + firestoreReads,
  };
}

export interface NaiveDesign {
  readonly readings: number;
  /** Mean size of one reading as its own JSON message. */
  readonly jsonMessageBytes: number;
  /** Wall time of one invocation handling one reading (billed rounded up, so anything <= 100 ms costs 100 ms). */
  readonly invocationMs: number;
  /** Push subscriptions on the telemetry topic. */
  readonly subscriptions: number;
}

/** The naive design's usage: one message, one push, one invocation and one document write per reading. */
export function naiveUsage(design: NaiveDesign, prices: PriceTable): CloudUsage {
  const n = design.readings;
  const perMessage = Math.max(prices.pubsub.minBilledBytesPerRequest, design.jsonMessageBytes);
  const perInvocationS = billedInstanceSeconds([design.invocationMs], prices.functions.billingGranularityMs);
  return {
    readings: n,
    pubsubBilledBytes: perMessage * (1 + design.subscriptions) * n,
    invocations: n,
    billedInstanceSeconds: perInvocationS * n,
    firestoreWrites: n,
    firestoreReads: 0,
  };
}
