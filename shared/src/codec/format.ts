/**
 * Telemetry batch wire format, version 1.1. One CBOR map (the envelope) per batch:
 *
 * | key | value                                                                         |
 * |-----|-------------------------------------------------------------------------------|
 * | V   | major version (uint). A decoder refuses a major it does not know.             |
 * | v   | minor version (uint). Minors only add keys; decoders ignore keys they lack.   |
 * | g   | gateway id                                                                    |
 * | c   | createdAtMs (non-negative integer)                                            |
 * | n   | reading count                                                                 |
 * | f,l | smallest and largest seq in the batch (0, 0 when empty)                       |
 * | d   | device dictionary: array of device ids, each listed once                      |
 * | m   | metric dictionary: array of metric names, each listed once                    |
 * | s   | series column (bytes)                                                         |
 * | t   | timestamp column (bytes)                                                      |
 * | q   | sequence column (bytes)                                                       |
 * | i   | integer value column (bytes)                                                  |
 * | x   | float64 value column (bytes, little endian)                                   |
 * | a   | alerts: array of AlertEvent maps                                              |
 * | h   | since 1.1, optional: the gateway's health map (gateway-health.ts)             |
 * | r   | since 1.1, optional: receipt column (bytes), see below                        |
 *
 * Readings are grouped into series (deviceId, metric); within a series they are ordered by
 * seq, and series are ordered by their first seq (so successive series starts are close in
 * both seq and time). Per series, in order:
 * - `s`: uvarint device index, uvarint (metric index * 16 + resolution code), uvarint count
 *   (>= 1). Resolution code 0 = float64 column; 1 + d = integers at 10^-d, d in 0..9.
 * - `t`: svarint (first ts - previous series' first ts; the first series is relative to
 *   createdAtMs); when count >= 2 svarint (first interval - previous series' first interval,
 *   starting from 0); then one svarint per further reading: delta-of-delta. A 1 Hz sensor
 *   with a few ms of jitter costs one byte per timestamp.
 * - `q`: uvarint (first seq - previous series' first seq; the first is relative to `f`),
 *   then the same interval prediction and delta-of-delta as `t`. A gateway interleaves seqs
 *   across series, so per-series intervals are near-constant too.
 * - `i` (resolution code >= 1): svarint first value count round(v * 10^d), then svarint
 *   deltas. `x` (code 0): one float64 per reading.
 * - `r` (1.1): per series a uvarint flag; 0 = no reading of the series has a receipt time
 *   other than its event time, 1 = one svarint per reading follows: (rxMs - tsMs) minus the
 *   previous reading's (rxMs - tsMs) in the series (starting from 0), so a steady device clock
 *   skew costs one byte. A decoded offset of 0 means no `rxMs` on the reading. The key is
 *   written (and the minor set to 1) only when some series has the flag set; a batch without
 *   it is a valid 1.0 batch. A 1.0 decoder ignores `r` and sees the readings without rxMs.
 * "uvarint" is unsigned LEB128, "svarint" zigzag LEB128 (see varint.ts).
 */
import { EdgeflowError, type ErrorCode } from '../errors.ts';

export const BATCH_MAJOR = 1;
/** 1 adds two optional keys, `h` (the gateway's health) and `r` (receipt column); a 1.0 decoder ignores both, as minors allow. */
export const BATCH_MINOR = 1;

export const KEY = {
  major: 'V',
  minor: 'v',
  gatewayId: 'g',
  createdAtMs: 'c',
  readingCount: 'n',
  firstSeq: 'f',
  lastSeq: 'l',
  devices: 'd',
  metrics: 'm',
  series: 's',
  timestamps: 't',
  seqs: 'q',
  ints: 'i',
  floats: 'x',
  alerts: 'a',
  health: 'h',
  receipts: 'r',
} as const;

/** Resolution code in the series column: 0 is the float column, 1 + d is decimals d. */
export const FLOAT_CODE = 0;
export const RES_CODE_SLOTS = 16;

/**
 * Largest |round(v * 10^d)| kept in the integer column. Below 2^52 every delta between two
 * counts stays an exact integer (< 2^53); a series with a larger count (or a non-finite
 * product such as 1e300 * 10^9) is written to the float column instead, losslessly.
 */
export const MAX_QUANTIZED = 2 ** 52 - 1;

export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MAX_READINGS = 1_000_000;

/** Event time bounds of the Reading schema (contracts.ts EventTimeMsSchema). */
export const MIN_EVENT_TIME_MS = 946_684_800_000;
export const MAX_EVENT_TIME_MS = 7_258_118_400_000;

export function codecError(code: ErrorCode, message: string, cause?: unknown): EdgeflowError {
  // EdgeflowError drops a cause of undefined.
  return new EdgeflowError(code, `telemetry batch: ${message}`, { cause });
}
