import type { AlertEvent, Reading } from '../contracts.ts';
import type { GatewayHealth } from '../gateway-health.ts';

export interface TelemetryBatch {
  /** GATEWAY_ID grammar. */
  gatewayId: string;
  /**
   * Gateway clock when the batch was built: any non-negative integer ms (not limited to the
   * event-time range, so a gateway with an unsynced clock can still ship its batches).
   */
  createdAtMs: number;
  /** Any order in; seq unique per gateway. Decoded batches list them in seq order. */
  readings: Reading[];
  /** Edge rule transitions carried to the cloud (usually 0..few). */
  alerts: AlertEvent[];
  /**
   * The gateway's state when it built the batch (format 1.1). Absent in 1.0 batches, and
   * when a batch carries a health map that does not validate: health is advisory, so a bad
   * one costs the snapshot, never the readings (`healthRejected` says so).
   */
  health?: GatewayHealth;
  healthRejected?: true;
}

export interface EncodeOptions {
  /**
   * Declared resolution per metric as decimals (0..9); `undefined` means a float64 column.
   * Default: the METRIC_CATALOG decimals (shared/src/metrics.ts).
   */
  decimalsFor?: (metric: string) => number | undefined;
}

export interface DecodeLimits {
  /** Largest input accepted, in bytes. Default 10 MiB. */
  maxBytes?: number;
  /** Largest declared reading count accepted. Default 1_000_000. */
  maxReadings?: number;
}

/** The envelope fields a router needs, without decoding the columns. */
export interface BatchHeader {
  major: number;
  minor: number;
  gatewayId: string;
  readingCount: number;
  /** Smallest seq in the batch (0 when empty). */
  firstSeq: number;
  /** Largest seq in the batch (0 when empty). */
  lastSeq: number;
}
