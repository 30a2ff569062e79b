/**
 * The one place list prices live. USD, on-demand, no free tier, no committed-use discount.
 *
 * Assumed as of 2026-11-23 (the day this table was written), transcribed from these public
 * pages; prices change, so check them before quoting a figure:
 * - "Pub/Sub pricing" (cloud.google.com/pubsub/pricing): Message Delivery Basic throughput
 *   $40 per TiB, publish and subscribe (push) throughput both billed; every publish, pull or
 *   push request is billed as at least 1000 bytes.
 * - "Cloud Run pricing" (cloud.google.com/run/pricing), which is what Cloud Run functions
 *   (2nd gen Cloud Functions) bill by, Tier 1 region, request-based billing: $0.000024 per
 *   vCPU-second, $0.0000025 per GiB-second, $0.40 per million requests; instance time is
 *   rounded up to the nearest 100 ms.
 * - "Firestore pricing" (cloud.google.com/firestore/pricing), Standard edition, regional
 *   location us-central1: $0.09 per 100,000 document writes, $0.03 per 100,000 reads
 *   (a multi-region such as nam5 costs twice that).
 * - "Cloud Run functions: memory and CPU" defaults: a 512 MiB function gets 0.333 vCPU, and
 *   512 MiB is what infra/src/config.ts gives `ingest`.
 */

export interface PriceTable {
  /** When these were read, and from where. */
  readonly assumedOn: string;
  readonly sources: readonly string[];
  readonly pubsub: {
    readonly usdPerTiB: number;
    /** Each publish / push / pull request is billed as at least this many bytes. */
    readonly minBilledBytesPerRequest: number;
  };
  readonly functions: {
    readonly usdPerMillionInvocations: number;
    readonly usdPerVcpuSecond: number;
    readonly usdPerGiBSecond: number;
    /** Billed instance time is rounded up to a multiple of this. */
    readonly billingGranularityMs: number;
  };
  readonly firestore: {
    readonly usdPer100kWrites: number;
    readonly usdPer100kReads: number;
  };
}

export const GCP_PRICES: PriceTable = Object.freeze({
  assumedOn: '2026-11-23',
  sources: Object.freeze([
    'Pub/Sub pricing (cloud.google.com/pubsub/pricing)',
    'Cloud Run pricing, Tier 1, request-based billing (cloud.google.com/run/pricing)',
    'Firestore pricing, Standard edition, us-central1 (cloud.google.com/firestore/pricing)',
  ]),
  pubsub: Object.freeze({ usdPerTiB: 40, minBilledBytesPerRequest: 1000 }),
  functions: Object.freeze({
    usdPerMillionInvocations: 0.4,
    usdPerVcpuSecond: 0.000024,
    usdPerGiBSecond: 0.0000025,
    billingGranularityMs: 100,
  }),
  firestore: Object.freeze({ usdPer100kWrites: 0.09, usdPer100kReads: 0.03 }),
});

/** The size a function instance is billed for (both designs use the same size). */
export interface FunctionSize {
  readonly vcpu: number;
  readonly memoryGiB: number;
}

/** infra's ingest function: 512 MiB, and the 0.333 vCPU Cloud Run functions give that size. */
export const INGEST_FUNCTION_SIZE: FunctionSize = Object.freeze({ vcpu: 0.333, memoryGiB: 0.5 });
