/**
 * Per-device bound on the rule transitions the gateway emits (retained alert topic + the
 * outbox's alert lane, which is never evicted): one device's alert storm is cut at its own
 * bucket, so every other device's transitions still go out.
 *
 * What a suppressed transition means: the rule engine has already moved (its state, and the
 * cloud's evaluation of the same readings, reflect the raise); only the local emission is
 * skipped, and counted. Episodes stay whole on the wire:
 * - a raise costs a token; without one it is suppressed and its alert id remembered;
 * - the clear of a suppressed raise is suppressed too (free), so no clear is ever emitted
 *   for a raise nobody saw;
 * - the clear of an emitted raise is always emitted (free), so no emitted alert is left open.
 * Hence at most 2 * (burst + ratePerSec * t) transitions per device over any t seconds.
 *
 * The remembered ids are bounded (`maxSuppressedEpisodes`); when full, a raise is emitted
 * rather than suppressed (counted), because forgetting it would orphan its clear.
 */
import type { AlertEvent } from '@edgeflow/shared';
import { DeviceBuckets } from './device-buckets.ts';

export interface TransitionLimitOptions {
  readonly transitionsPerSec: number;
  readonly transitionsBurst: number;
  readonly maxDevices: number;
  readonly maxSuppressedEpisodes: number;
}

export interface TransitionLimitCounters {
  /** A transition was not emitted. */
  suppressed(kind: AlertEvent['kind']): void;
  /** A bound was hit: the device bucket map, or the remembered suppressed episodes. */
  overflow(limiter: 'transitions' | 'suppressed_episodes'): void;
}

export class TransitionLimiter {
  readonly #buckets: DeviceBuckets;
  readonly #suppressedEpisodes = new Set<string>();
  readonly #maxSuppressedEpisodes: number;
  readonly #counters: TransitionLimitCounters;

  constructor(options: TransitionLimitOptions, counters: TransitionLimitCounters, nowMs: number) {
    this.#counters = counters;
    this.#maxSuppressedEpisodes = options.maxSuppressedEpisodes;
    this.#buckets = new DeviceBuckets(
      {
        ratePerSec: options.transitionsPerSec,
        burst: options.transitionsBurst,
        maxDevices: options.maxDevices,
        onOverflow: () => counters.overflow('transitions'),
      },
      nowMs,
    );
  }

  /** Open episodes whose raise was suppressed. */
  get suppressedEpisodes(): number {
    return this.#suppressedEpisodes.size;
  }

  /** Whether `alert` is emitted; counts it when not. */
  admit(alert: AlertEvent, nowMs: number): boolean {
    if (alert.kind === 'cleared') {
      if (!this.#suppressedEpisodes.delete(alert.alertId)) return true;
      this.#counters.suppressed('cleared');
      return false;
    }
    if (this.#buckets.take(alert.deviceId, 1, nowMs)) return true;
    if (this.#suppressedEpisodes.size >= this.#maxSuppressedEpisodes) {
      this.#counters.overflow('suppressed_episodes');
      return true;
    }
    this.#suppressedEpisodes.add(alert.alertId);
    this.#counters.suppressed('raised');
    return false;
  }
}
